import type { FieldError } from '../common/errors.js';
import { SALES_TAX_MARKETS } from '../klarna/klarna-markets.js';
import type { KlarnaOrderLine } from '../klarna/klarna.types.js';

/**
 * Klarna's order-line arithmetic, pure. Source: Klarna Payments API `order_line` (shared/klarna/FACTS.md §4):
 * total_amount = quantity x unit_price - total_discount_amount (tax included); total_tax_amount =
 * total_amount - total_amount x 10000 / (10000 + tax_rate), within ±1; order_amount and order_tax_amount
 * are the sums. In the US model tax is its own `sales_tax` line and lines carry no tax rate.
 */
export const ORDER_LINE_TYPES = [
  'physical',
  'digital',
  'shipping_fee',
  'discount',
  'sales_tax',
  'gift_card',
  'store_credit',
  'surcharge',
] as const;
export type OrderLineType = (typeof ORDER_LINE_TYPES)[number];

/** Line types that reduce the order: their unit price is zero or negative. */
const REDUCING_TYPES: ReadonlySet<string> = new Set(['discount', 'gift_card', 'store_credit']);

/** Klarna's bounds: amounts up to 100 000 000 minor units, 1..1000 lines. */
export const MAX_AMOUNT = 100_000_000;
export const MAX_LINES = 1000;

export interface CartLine {
  type: string;
  reference: string;
  name: string;
  quantity: number;
  quantityUnit?: string | null;
  unitPrice: number;
  taxRate: number;
  totalDiscountAmount: number;
  imageUrl?: string | null;
  productUrl?: string | null;
}

export interface OrderTotals {
  lines: KlarnaOrderLine[];
  orderAmount: number;
  orderTaxAmount: number;
}

/** numerator / denominator rounded half away from zero, in integers only. */
export function divideRounded(numerator: number, denominator: number): number {
  const sign = Math.sign(numerator) * Math.sign(denominator);
  const n = Math.abs(numerator);
  const d = Math.abs(denominator);
  return sign * Math.floor((2 * n + d) / (2 * d));
}

/** Tax included in a tax-inclusive amount at `taxRate` basis points: amount x rate / (10000 + rate). */
export function includedTax(totalAmount: number, taxRate: number): number {
  return divideRounded(totalAmount * taxRate, 10_000 + taxRate) || 0;
}

export function toOrderLine(line: CartLine): KlarnaOrderLine {
  const totalAmount = line.quantity * line.unitPrice - line.totalDiscountAmount;
  return {
    type: line.type,
    reference: line.reference,
    name: line.name,
    quantity: line.quantity,
    quantityUnit: line.quantityUnit ?? undefined,
    unitPrice: line.unitPrice,
    taxRate: line.taxRate,
    totalAmount,
    totalDiscountAmount: line.totalDiscountAmount,
    totalTaxAmount: includedTax(totalAmount, line.taxRate),
    imageUrl: line.imageUrl ?? undefined,
    productUrl: line.productUrl ?? undefined,
  };
}

export function computeOrder(lines: readonly CartLine[], purchaseCountry: string): OrderTotals {
  const orderLines = lines.map(toOrderLine);
  const orderAmount = orderLines.reduce((sum, line) => sum + line.totalAmount, 0);
  const orderTaxAmount = SALES_TAX_MARKETS.has(purchaseCountry)
    ? orderLines.filter((line) => line.type === 'sales_tax').reduce((sum, line) => sum + line.totalAmount, 0)
    : orderLines.reduce((sum, line) => sum + line.totalTaxAmount, 0);
  return { lines: orderLines, orderAmount, orderTaxAmount };
}

/** Rules of one line that its own fields break, named by the request's field names. */
export function checkLine(line: CartLine, purchaseCountry: string): FieldError[] {
  const errors: FieldError[] = [];
  const salesTaxModel = SALES_TAX_MARKETS.has(purchaseCountry);
  if (REDUCING_TYPES.has(line.type)) {
    if (line.unitPrice > 0)
      errors.push({ field: 'unitPrice', message: `must not be positive for a ${line.type} line` });
  } else if (line.unitPrice < 0) {
    errors.push({ field: 'unitPrice', message: `must not be negative for a ${line.type} line` });
  }
  const gross = line.quantity * line.unitPrice;
  if (Math.abs(gross) > MAX_AMOUNT) {
    errors.push({ field: 'unitPrice', message: `quantity x unitPrice must not exceed ${MAX_AMOUNT}` });
  }
  if (line.totalDiscountAmount > Math.max(gross, 0)) {
    errors.push({ field: 'totalDiscountAmount', message: 'must not exceed quantity x unitPrice' });
  }
  if (line.type === 'sales_tax' && !salesTaxModel) {
    errors.push({ field: 'type', message: `sales_tax lines are only for ${[...SALES_TAX_MARKETS].join(', ')} carts` });
  }
  if (salesTaxModel && line.taxRate !== 0) {
    errors.push({ field: 'taxRate', message: 'must be 0 in a sales-tax market: add tax as a sales_tax line' });
  }
  return errors;
}

/** Rules of the whole cart: line count and order amount bounds. */
export function checkOrder(totals: OrderTotals): FieldError[] {
  const errors: FieldError[] = [];
  if (totals.lines.length > MAX_LINES) errors.push({ field: 'items', message: `must have at most ${MAX_LINES} lines` });
  if (totals.orderAmount < 0) errors.push({ field: 'items', message: 'order amount must not be negative' });
  // Klarna: order_tax_amount >= 0. Reducing lines taxed above the goods they reduce can push it below zero.
  if (totals.orderTaxAmount < 0) errors.push({ field: 'items', message: 'order tax amount must not be negative' });
  if (totals.orderAmount > MAX_AMOUNT)
    errors.push({ field: 'items', message: `order amount must not exceed ${MAX_AMOUNT}` });
  return errors;
}
