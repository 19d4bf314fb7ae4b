import { amountIn, type MoneyAmount } from '../common/money.js';

/** A shipping method as ops keep it (PUT /shipping-methods/:id). */
export interface ShippingMethodInput {
  name: string;
  countries: string[];
  /** Per currency, tax included (US: net, like the catalog's prices). */
  prices: MoneyAmount[];
  taxClass: string;
  /** Items worth at least this (per currency) ship free. */
  freeOver: MoneyAmount[];
  deliveryEstimate: string | null;
  active: boolean;
}

export interface ShippingMethodRecord extends ShippingMethodInput {
  id: string;
}

/** A method the cart can choose, priced for this cart. */
export interface ShippingOption {
  methodId: string;
  name: string;
  amount: number;
  /** The regular price, before the free-over threshold. */
  regularAmount: number;
  free: boolean;
  taxRate: number;
  deliveryEstimate: string | null;
}

/**
 * Pure. A method serves a market when it is active, lists the country, has a price in the currency and a tax rate
 * for its tax class in the country (`rate`, basis points; undefined: none).
 */
export function priceShipping(
  method: ShippingMethodRecord,
  market: { country: string; currency: string },
  itemsAmount: number,
  rate: number | undefined,
): ShippingOption | undefined {
  if (!method.active || !method.countries.includes(market.country) || rate === undefined) return undefined;
  const regularAmount = amountIn(method.prices, market.currency);
  if (regularAmount === undefined) return undefined;
  const threshold = amountIn(method.freeOver, market.currency);
  const free = regularAmount === 0 || (threshold !== undefined && itemsAmount >= threshold);
  return {
    methodId: method.id,
    name: method.name,
    amount: free ? 0 : regularAmount,
    regularAmount,
    free,
    taxRate: rate,
    deliveryEstimate: method.deliveryEstimate,
  };
}
