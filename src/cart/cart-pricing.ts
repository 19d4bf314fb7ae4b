import { NotSoldInMarketError, UnknownProductError, ValidationFailedError } from '../common/errors.js';
import type { Market, PricedItems, PricedProduct } from '../catalog/catalog.types.js';
import { lineQuantityLimit } from '../catalog/pricing.js';
import { divideRounded, type CartLine } from './order-lines.js';

/**
 * The server prices the cart (a backend-for-frontend owns the trust boundary: the browser says what and how many,
 * the catalog says how much). Pure: the cart service reads the catalog and writes the result.
 */

/** A line as the cart wants it: a product reference and a quantity (`id` when it is already a line). */
export interface WantedLine {
  id?: string;
  reference: string;
  quantity: number;
}

/** What the catalog says a line is, as stored on the cart item (the last price the shopper saw). */
export interface LinePrice {
  name: string;
  type: string;
  unitPrice: number;
  taxRate: number;
  /** Sales-tax markets (US): the rate of the `sales_tax` line this line is taxed in; null elsewhere. */
  salesTaxRate: number | null;
  imageUrl: string | null;
  productUrl: string | null;
}

export interface PricedLine extends WantedLine, LinePrice {}

/** Why a line changed at re-pricing, as the storefront reads it in `notices` and in CART_CHANGED. */
export type LineChange =
  | { kind: 'removed'; itemId?: string; reference: string; reason: 'unknown_product' | 'not_sold_in_market' }
  | { kind: 'price_changed'; itemId?: string; reference: string; before: LinePrice; after: LinePrice }
  | { kind: 'quantity_limited'; itemId?: string; reference: string; before: number; after: number };

/** Fields of a price that reach Klarna: a change of any of them changes what the shopper authorizes. */
const PRICE_FIELDS: readonly (keyof LinePrice)[] = [
  'name',
  'type',
  'unitPrice',
  'taxRate',
  'salesTaxRate',
  'imageUrl',
  'productUrl',
];

export function linePriceOf(product: PricedProduct): LinePrice {
  return {
    name: product.name,
    type: product.type,
    unitPrice: product.unitPrice,
    taxRate: product.taxRate,
    salesTaxRate: product.salesTaxRate ?? null,
    imageUrl: product.imageUrl,
    productUrl: product.productUrl,
  };
}

export function samePrice(a: LinePrice, b: LinePrice): boolean {
  return PRICE_FIELDS.every((field) => a[field] === b[field]);
}

/**
 * Prices the wanted lines at the catalog's current word. The line the request named (`requested`) must be sold:
 * otherwise UNKNOWN_PRODUCT / NOT_SOLD_IN_MARKET, and a quantity above its limit is 400 naming `quantity`.
 * Every other line that is no longer sold is removed, and one above a lowered limit is cut to it; each such
 * difference, and every price that moved since `previous`, is reported.
 */
export function priceLines(
  wanted: readonly WantedLine[],
  priced: PricedItems,
  market: Market,
  maxLineQuantity: number,
  previous: ReadonlyMap<string, LinePrice>,
  requested?: string,
): { lines: PricedLine[]; changes: LineChange[] } {
  const lines: PricedLine[] = [];
  const changes: LineChange[] = [];
  for (const line of wanted) {
    const entry = priced.get(line.reference);
    if (!entry || entry.notSoldInMarket) {
      if (line.reference === requested) {
        throw entry
          ? new NotSoldInMarketError(line.reference, market.country, market.currency)
          : new UnknownProductError(line.reference);
      }
      changes.push({
        kind: 'removed',
        itemId: line.id,
        reference: line.reference,
        reason: entry ? 'not_sold_in_market' : 'unknown_product',
      });
      continue;
    }
    const limit = lineQuantityLimit(entry.maxQuantity, maxLineQuantity);
    let { quantity } = line;
    if (quantity > limit) {
      if (line.reference === requested) {
        throw new ValidationFailedError([{ field: 'quantity', message: `must not exceed ${limit} for this product` }]);
      }
      changes.push({
        kind: 'quantity_limited',
        itemId: line.id,
        reference: line.reference,
        before: quantity,
        after: limit,
      });
      quantity = limit;
    }
    const price = linePriceOf(entry);
    const before = line.id === undefined ? undefined : previous.get(line.id);
    if (before && !samePrice(before, price)) {
      changes.push({ kind: 'price_changed', itemId: line.id, reference: line.reference, before, after: price });
    }
    lines.push({ ...line, quantity, ...price });
  }
  return { lines, changes };
}

/**
 * Klarna's sales-tax model (US, FACTS §4): lines are net and carry no tax rate; the tax is its own `sales_tax` line,
 * one per rate, of the rate times the net total of the lines taxed at it, rounded to a minor unit.
 */
export function salesTaxLines(lines: readonly (CartLine & { salesTaxRate?: number | null })[]): CartLine[] {
  // Most markets have no sales tax: every read and change of their carts comes here.
  if (!lines.some((line) => line.salesTaxRate)) return [];
  const netByRate = new Map<number, number>();
  for (const line of lines) {
    if (!line.salesTaxRate) continue;
    const net = line.quantity * line.unitPrice - line.totalDiscountAmount;
    netByRate.set(line.salesTaxRate, (netByRate.get(line.salesTaxRate) ?? 0) + net);
  }
  const several = netByRate.size > 1;
  return [...netByRate.entries()]
    .sort(([a], [b]) => a - b)
    .map(([rate, net]) => ({
      type: 'sales_tax',
      reference: several ? `sales-tax-${rate}` : 'sales-tax',
      name: several ? `Sales tax ${rate / 100} %` : 'Sales tax',
      quantity: 1,
      unitPrice: divideRounded(net * rate, 10_000),
      taxRate: 0,
      totalDiscountAmount: 0,
    }));
}
