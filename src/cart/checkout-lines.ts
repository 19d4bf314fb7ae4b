import type { DiscountCodeRecord } from '../discount/discount-rules.js';
import { discountAmount, splitByRate } from '../discount/discount-rules.js';
import type { ShippingOption } from '../shipping/shipping-rules.js';
import { toOrderLine, type CartLine } from './order-lines.js';

/**
 * The lines the server adds to the shopper's items: the shipping fee and the discount. Pure. They are order lines
 * like the items (Klarna FACTS §4): a `shipping_fee` line taxed at the method's rate, and `discount` lines with a
 * negative unit price, one per tax rate of the lines they reduce.
 */
export interface AddedLine extends CartLine {
  /** Sales-tax markets (US): the rate of the `sales_tax` line this net line counts in; null elsewhere. */
  salesTaxRate: number | null;
}

/** Lines the discount and the free-shipping threshold look at: goods, not what the server added. */
const ITEM_TYPES: ReadonlySet<string> = new Set(['physical', 'digital']);

/** What the items are worth (tax included; US: net): the base of min-order and free-shipping thresholds. */
export function itemsAmount(items: readonly CartLine[]): number {
  return items
    .filter((item) => ITEM_TYPES.has(item.type))
    .reduce((sum, item) => sum + toOrderLine(item).totalAmount, 0);
}

export function shippingFeeLine(option: ShippingOption, salesTaxModel: boolean): AddedLine {
  return {
    type: 'shipping_fee',
    reference: option.methodId,
    name: option.name,
    quantity: 1,
    unitPrice: option.amount,
    // Klarna's US model: the line is net and the tax goes to the sales_tax line.
    taxRate: salesTaxModel ? 0 : option.taxRate,
    salesTaxRate: salesTaxModel ? option.taxRate : null,
    totalDiscountAmount: 0,
  };
}

/**
 * The discount lines of `code` over the items (and the shipping fee, for `items_and_shipping`): one line per tax
 * rate, the parts in proportion to each rate's share and summing exactly to the discount.
 */
export function discountLines(
  code: DiscountCodeRecord,
  currency: string,
  items: readonly (CartLine & { salesTaxRate?: number | null })[],
  shipping: AddedLine | null,
  salesTaxModel: boolean,
): AddedLine[] {
  const reduced = [
    ...items.filter((item) => ITEM_TYPES.has(item.type)),
    ...(shipping && code.appliesTo === 'items_and_shipping' ? [shipping] : []),
  ].map((line) => ({
    totalAmount: toOrderLine(line).totalAmount,
    rate: salesTaxModel ? (line.salesTaxRate ?? 0) : line.taxRate,
  }));
  const base = reduced.reduce((sum, line) => sum + Math.max(line.totalAmount, 0), 0);
  const parts = splitByRate(discountAmount(code, currency, base), reduced);
  const name =
    code.kind === 'percent' ? `Discount ${code.code} (${(code.percent ?? 0) / 100} %)` : `Discount ${code.code}`;
  return parts.map((part) => ({
    type: 'discount',
    reference: parts.length > 1 ? `${code.code}-${part.rate}` : code.code,
    name: parts.length > 1 ? `${name}, ${part.rate / 100} % tax` : name,
    quantity: 1,
    unitPrice: -part.amount,
    taxRate: salesTaxModel ? 0 : part.rate,
    salesTaxRate: salesTaxModel ? part.rate : null,
    totalDiscountAmount: 0,
  }));
}
