import { NotSoldInMarketError, UnknownProductError, type FieldError } from '../common/errors.js';
import { MAX_AMOUNT } from '../cart/order-lines.js';
import { KLARNA_MARKETS, SALES_TAX_MARKETS } from '../klarna/klarna-markets.js';
import type {
  Market,
  PricedItems,
  PricedProduct,
  ProductInput,
  ProductType,
  StorefrontProduct,
} from './catalog.types.js';

/** Currencies Klarna sells in (one per market, shared by the euro countries). */
export const KLARNA_CURRENCIES: readonly string[] = [
  ...new Set(Object.values(KLARNA_MARKETS).map((market) => market.currency)),
].sort();

export const KLARNA_COUNTRIES: readonly string[] = Object.keys(KLARNA_MARKETS).sort();

/**
 * The name for a locale: the exact locale ("sv-FI"), else its language ("sv"), else the default name.
 * Names are keyed by locale or language so one Swedish name can serve sv-SE and sv-FI.
 */
export function localizedName(name: string, names: Readonly<Record<string, string>>, locale: string): string {
  return names[locale] ?? names[locale.split('-')[0]] ?? name;
}

/** What a catalog holds for one product in one market, before the market's tax model is applied. */
export interface MarketPriceFacts {
  reference: string;
  name: string;
  type: ProductType;
  unitPrice: number;
  /** Basis points for the country and the product's tax class. */
  rate: number;
  imageUrl: string | null;
  productUrl: string | null;
  maxQuantity: number | null;
}

/**
 * Applies the market's tax model. Klarna's US model (FACTS §4): prices are net, lines carry no tax rate and
 * the tax is one `sales_tax` line, so the country's rate becomes `salesTaxRate` and `taxRate` is 0.
 */
export function toPricedProduct(facts: MarketPriceFacts, market: Market): PricedProduct {
  const salesTax = SALES_TAX_MARKETS.has(market.country);
  return {
    notSoldInMarket: false,
    reference: facts.reference,
    name: facts.name,
    type: facts.type,
    unitPrice: facts.unitPrice,
    taxRate: salesTax ? 0 : facts.rate,
    ...(salesTax ? { salesTaxRate: facts.rate } : {}),
    imageUrl: facts.imageUrl,
    productUrl: facts.productUrl,
    maxQuantity: facts.maxQuantity,
  };
}

/** The largest quantity of one cart line: the product's own limit, else the service's MAX_LINE_QUANTITY. */
export function lineQuantityLimit(maxQuantity: number | null, maxLineQuantity: number): number {
  return maxQuantity ?? maxLineQuantity;
}

export function toStorefrontProduct(
  product: PricedProduct,
  currency: string,
  maxLineQuantity: number,
): StorefrontProduct {
  return {
    reference: product.reference,
    name: product.name,
    type: product.type,
    unitPrice: product.unitPrice,
    currency,
    taxRate: product.taxRate,
    ...(product.salesTaxRate === undefined ? {} : { salesTaxRate: product.salesTaxRate }),
    imageUrl: product.imageUrl,
    productUrl: product.productUrl,
    maxQuantity: lineQuantityLimit(product.maxQuantity, maxLineQuantity),
  };
}

/** For the cart: the priced product of a reference, or the domain error the storefront must see. */
export function requirePricedProduct(items: PricedItems, reference: string, market: Market): PricedProduct {
  const entry = items.get(reference);
  if (!entry) throw new UnknownProductError(reference);
  if (entry.notSoldInMarket) throw new NotSoldInMarketError(reference, market.country, market.currency);
  return entry;
}

/**
 * Klarna's line limit (FACTS §4: unit_price and total_amount at most 100 000 000): every price times the
 * largest quantity a line may have must stay within it, so no quantity the cart accepts breaks Klarna's rules.
 */
export function checkProductLimits(
  product: Pick<ProductInput, 'maxQuantity' | 'prices'>,
  maxLineQuantity: number,
): FieldError[] {
  const limit = lineQuantityLimit(product.maxQuantity, maxLineQuantity);
  return product.prices.flatMap((price, index) =>
    price.unitPrice * limit > MAX_AMOUNT
      ? [
          {
            field: `prices[${index}].unitPrice`,
            message: `x the largest line quantity (${limit}) must not exceed ${MAX_AMOUNT} (Klarna's line limit): lower it or set a smaller maxQuantity`,
          },
        ]
      : [],
  );
}

/** An opaque page cursor: the last reference of the page, base64url. */
export function encodeCursor(reference: string): string {
  return Buffer.from(reference, 'utf8').toString('base64url');
}

/** The reference a cursor stands for, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return undefined;
  const reference = Buffer.from(cursor, 'base64url').toString('utf8');
  return reference.length > 0 && encodeCursor(reference) === cursor ? reference : undefined;
}
