import { describe, expect, it } from '@jest/globals';
import type { KlarnaOrderLine, OrderAmounts } from './klarna-types.js';
import {
  lineTaxWithinTolerance,
  lineTotalMatches,
  linesForAmountProblems,
  marketProblems,
  normalizeLocale,
  orderProblems,
} from './order-rules.js';

// Klarna's tax-handling example: 595.00 and 29.00 at 20 % -> order 624.00, tax 104.00.
const jacket: KlarnaOrderLine = {
  type: 'physical',
  name: 'Jacket',
  quantity: 1,
  unit_price: 59500,
  total_amount: 59500,
  tax_rate: 2000,
  total_tax_amount: 9917,
};
const shipping: KlarnaOrderLine = {
  type: 'shipping_fee',
  name: 'Shipping',
  quantity: 1,
  unit_price: 2900,
  total_amount: 2900,
  tax_rate: 2000,
  total_tax_amount: 483,
};
const order = (overrides: Partial<OrderAmounts> = {}): OrderAmounts => ({
  purchase_country: 'GB',
  purchase_currency: 'GBP',
  locale: 'en-GB',
  order_amount: 62400,
  order_tax_amount: 10400,
  order_lines: [jacket, shipping],
  ...overrides,
});

describe('order rules', () => {
  it("accepts Klarna's own tax-handling example", () => {
    expect(orderProblems(order())).toEqual([]);
  });

  it('checks total_amount = quantity × unit_price − total_discount_amount', () => {
    expect(lineTotalMatches({ ...jacket, quantity: 2, total_amount: 119000 })).toBe(true);
    expect(lineTotalMatches({ ...jacket, quantity: 2, total_discount_amount: 1000, total_amount: 118000 })).toBe(true);
    expect(lineTotalMatches({ ...jacket, quantity: 2, total_amount: 59500 })).toBe(false);
  });

  it('allows total_tax_amount within ±1 of the exact tax and no further', () => {
    // Exact: 59500 − 59500 × 10000 / 12000 = 9916.67
    expect(lineTaxWithinTolerance({ ...jacket, total_tax_amount: 9916 })).toBe(true);
    expect(lineTaxWithinTolerance({ ...jacket, total_tax_amount: 9917 })).toBe(true);
    expect(lineTaxWithinTolerance({ ...jacket, total_tax_amount: 9915 })).toBe(false);
    expect(lineTaxWithinTolerance({ ...jacket, total_tax_amount: 9918 })).toBe(false);
  });

  it('expects negative tax on a discount line', () => {
    const discount = {
      type: 'discount',
      name: 'Voucher',
      quantity: 1,
      unit_price: -1000,
      total_amount: -1000,
      tax_rate: 2000,
    };
    expect(lineTaxWithinTolerance({ ...discount, total_tax_amount: -167 })).toBe(true);
    expect(lineTaxWithinTolerance({ ...discount, total_tax_amount: 167 })).toBe(false);
  });

  it('names the line whose tax is wrong', () => {
    const problems = orderProblems(order({ order_lines: [jacket, { ...shipping, total_tax_amount: 500 }] }));
    expect(problems).toContain('Bad value: order_lines[1].total_tax_amount');
  });

  it('requires order_amount to be the sum of the lines', () => {
    expect(orderProblems(order({ order_amount: 62401 }))).toEqual(['Bad value: order_amount']);
  });

  it('allows order_tax_amount to differ from the line taxes by at most the number of lines', () => {
    expect(orderProblems(order({ order_tax_amount: 10402 }))).toEqual([]);
    expect(orderProblems(order({ order_tax_amount: 10403 }))).toEqual(['Bad value: order_tax_amount']);
  });

  it('refuses more than 1000 lines', () => {
    const lines = Array.from({ length: 1001 }, () => ({ ...shipping, tax_rate: 0, total_tax_amount: 0 }));
    expect(orderProblems(order({ order_lines: lines, order_amount: 1001 * 2900, order_tax_amount: 0 }))).toEqual([
      'Bad value: order_lines',
    ]);
  });

  it('uses the US sales-tax model: order_tax_amount is the sales_tax lines', () => {
    const item = { type: 'physical', name: 'Shoes', quantity: 1, unit_price: 20000, total_amount: 20000 };
    const tax = { type: 'sales_tax', name: 'Sales Tax', quantity: 1, unit_price: 1000, total_amount: 1000 };
    const us = { purchase_country: 'US', purchase_currency: 'USD', locale: 'en-US', order_amount: 21000 };
    expect(orderProblems({ ...us, order_tax_amount: 1000, order_lines: [item, tax] })).toEqual([]);
    expect(orderProblems({ ...us, order_tax_amount: 999, order_lines: [item, tax] })).toEqual([
      'Bad value: order_tax_amount',
    ]);
  });

  it('refuses sales_tax lines outside sales-tax markets', () => {
    const tax = { type: 'sales_tax', name: 'Tax', quantity: 1, unit_price: 0, total_amount: 0 };
    expect(orderProblems(order({ order_lines: [jacket, shipping, tax] }))).toEqual(['Bad value: order_lines[2].type']);
  });

  it('checks the country, currency and locale combination', () => {
    expect(marketProblems({ purchase_country: 'DE', purchase_currency: 'EUR', locale: 'de-DE' })).toEqual([]);
    expect(marketProblems({ purchase_country: 'de', purchase_currency: 'eur', locale: 'de-de' })).toEqual([]);
    expect(marketProblems({ purchase_country: 'DE', purchase_currency: 'SEK', locale: 'de-DE' })).toEqual([
      'Bad value: purchase_currency',
    ]);
    expect(marketProblems({ purchase_country: 'DE', purchase_currency: 'EUR', locale: 'sv-SE' })).toEqual([
      'Bad value: locale',
    ]);
    expect(marketProblems({ purchase_country: 'XX', purchase_currency: 'EUR', locale: 'de-DE' })).toEqual([
      'Bad value: purchase_country',
    ]);
    expect(marketProblems({ purchase_country: 'US', purchase_currency: 'USD' })).toEqual([]);
  });

  it('normalizes locale case', () => {
    expect(normalizeLocale('EN-gb')).toBe('en-GB');
  });

  it('lets OM lines be empty and otherwise requires them to add up to the amount', () => {
    expect(linesForAmountProblems([], 5000, 'order_amount', 'GB')).toEqual([]);
    expect(linesForAmountProblems([jacket], 59500, 'order_amount', 'GB')).toEqual([]);
    expect(linesForAmountProblems([jacket], 50000, 'captured_amount', 'GB')).toEqual(['Bad value: captured_amount']);
  });
});
