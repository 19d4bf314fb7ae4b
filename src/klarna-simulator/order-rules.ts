/**
 * Klarna's arithmetic and market rules for an order (KP session, create order, OM amount updates and captures),
 * written independently of the service's money code: the simulator is the referee. Each function returns
 * Klarna-style messages (`Bad value: order_lines[2].total_tax_amount`); an empty list means Klarna accepts it.
 * Sources: KP-SPEC `order_line`, Klarna docs "tax handling" and "purchase countries, currencies and locales"
 * (shared/klarna/FACTS.md §4, §6).
 */
import { checkMarket, SALES_TAX_MARKETS } from '../klarna/klarna-markets.js';
import type { KlarnaOrderLine, OrderAmounts } from './klarna-types.js';

export const MAX_ORDER_LINES = 1000;
/** KP-SPEC: `locale` defaults to en-US when a session does not name one. */
export const DEFAULT_LOCALE = 'en-US';

const SALES_TAX_LINE = 'sales_tax';

export const badValue = (field: string): string => `Bad value: ${field}`;

/** `de-de` -> `de-DE`; the spec's pattern accepts any letter case. */
export function normalizeLocale(locale: string): string {
  const [language, ...rest] = locale.split('-');
  return [language.toLowerCase(), ...rest.map((part) => part.toUpperCase())].join('-');
}

export function isSalesTaxMarket(purchaseCountry: string): boolean {
  return SALES_TAX_MARKETS.has(purchaseCountry.toUpperCase());
}

/** The per-line rules: `total_amount`, `total_tax_amount`, and `sales_tax` lines only in sales-tax markets. */
export function lineProblems(lines: readonly KlarnaOrderLine[], purchaseCountry: string): string[] {
  const problems: string[] = [];
  const salesTaxMarket = isSalesTaxMarket(purchaseCountry);
  lines.forEach((line, index) => {
    const field = `order_lines[${index}]`;
    if (line.type === SALES_TAX_LINE && !salesTaxMarket) problems.push(badValue(`${field}.type`));
    if (!lineTotalMatches(line)) problems.push(badValue(`${field}.total_amount`));
    if (!lineTaxWithinTolerance(line)) problems.push(badValue(`${field}.total_tax_amount`));
  });
  return problems;
}

/** KP-SPEC: total_amount = quantity × unit_price − total_discount_amount (BigInt: quantity is an unbounded int64). */
export function lineTotalMatches(line: KlarnaOrderLine): boolean {
  const expected = BigInt(line.quantity) * BigInt(line.unit_price) - BigInt(line.total_discount_amount ?? 0);
  return expected === BigInt(line.total_amount);
}

/**
 * KP-SPEC: total_tax_amount within ±1 of total_amount − total_amount × 10000 / (10000 + tax_rate); negative on
 * discount lines, which the formula gives by itself. Multiplied out by (10000 + tax_rate) to stay in integers.
 */
export function lineTaxWithinTolerance(line: KlarnaOrderLine): boolean {
  const rate = line.tax_rate ?? 0;
  const tax = line.total_tax_amount ?? 0;
  const scale = 10000 + rate;
  return Math.abs(tax * scale - line.total_amount * rate) <= scale;
}

export function sumOf(lines: readonly KlarnaOrderLine[], field: 'total_amount' | 'total_tax_amount'): number {
  let sum = 0;
  for (const line of lines) sum += line[field] ?? 0;
  return sum;
}

/**
 * order_tax_amount: in the global model within ± (number of lines) of Σ total_tax_amount (docs: tax handling);
 * in the US model it is the `sales_tax` lines' total (plus any per-line tax, with the same tolerance for those).
 */
export function orderTaxMatches(order: OrderAmounts): boolean {
  const orderTax = order.order_tax_amount ?? 0;
  if (!isSalesTaxMarket(order.purchase_country)) {
    return Math.abs(orderTax - sumOf(order.order_lines, 'total_tax_amount')) <= order.order_lines.length;
  }
  let expected = 0;
  let taxedLines = 0;
  for (const line of order.order_lines) {
    if (line.type === SALES_TAX_LINE) {
      expected += line.total_amount;
    } else if ((line.total_tax_amount ?? 0) !== 0) {
      expected += line.total_tax_amount ?? 0;
      taxedLines += 1;
    }
  }
  return Math.abs(orderTax - expected) <= taxedLines;
}

/** The market rule: the country's only currency, and a locale Klarna offers there. */
export function marketProblems(
  order: Pick<OrderAmounts, 'purchase_country' | 'purchase_currency' | 'locale'>,
): string[] {
  const problem = checkMarket(
    order.purchase_country.toUpperCase(),
    order.purchase_currency.toUpperCase(),
    normalizeLocale(order.locale ?? DEFAULT_LOCALE),
  );
  return problem ? [badValue(problem)] : [];
}

/** Every rule for a KP session or create-order body: market, line count, line arithmetic, order sums. */
export function orderProblems(order: OrderAmounts): string[] {
  const problems = marketProblems(order);
  if (order.order_lines.length > MAX_ORDER_LINES) return [...problems, badValue('order_lines')];
  problems.push(...lineProblems(order.order_lines, order.purchase_country));
  if (order.order_amount !== sumOf(order.order_lines, 'total_amount')) problems.push(badValue('order_amount'));
  if (!orderTaxMatches(order)) problems.push(badValue('order_tax_amount'));
  return problems;
}

/**
 * OM: lines sent with an amount update or a capture follow the same line arithmetic and must add up to the
 * amount they accompany (`amountField` names it in the message).
 */
export function linesForAmountProblems(
  lines: readonly KlarnaOrderLine[],
  amount: number,
  amountField: string,
  purchaseCountry: string,
): string[] {
  if (lines.length > MAX_ORDER_LINES) return [badValue('order_lines')];
  const problems = lineProblems(lines, purchaseCountry);
  if (lines.length > 0 && sumOf(lines, 'total_amount') !== amount) problems.push(badValue(amountField));
  return problems;
}
