import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  checkLine,
  checkOrder,
  computeOrder,
  divideRounded,
  includedTax,
  MAX_AMOUNT,
  toOrderLine,
  type CartLine,
} from './order-lines.js';

const line = (overrides: Partial<CartLine> = {}): CartLine => ({
  type: 'physical',
  reference: 'SKU-1',
  name: 'Running shoe',
  quantity: 1,
  unitPrice: 10_000,
  taxRate: 2500,
  totalDiscountAmount: 0,
  ...overrides,
});

describe('divideRounded', () => {
  it.each([
    [5, 2, 3],
    [-5, 2, -3],
    [4, 3, 1],
    [-4, 3, -1],
    [7, 7, 1],
    [0, 9, 0],
  ])('%i / %i rounds half away from zero to %i', (numerator, denominator, expected) => {
    expect(divideRounded(numerator, denominator)).toBe(expected);
  });
});

describe('includedTax', () => {
  it("matches Klarna's tax-handling example: 59500 at 20 % carries 9917, 2900 carries 483", () => {
    expect(includedTax(59_500, 2000)).toBe(9917);
    expect(includedTax(2900, 2000)).toBe(483);
  });

  it('keeps tax rates in basis points without rounding them to whole percent (7.7 % = 770)', () => {
    expect(includedTax(10_770, 770)).toBe(770);
    expect(includedTax(10_000, 770)).toBe(715);
  });

  it('is negative on discount lines', () => {
    expect(includedTax(-1000, 2500)).toBe(-200);
  });

  it("is always within Klarna's ±1 of total - total x 10000 / (10000 + rate)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -100_000_000, max: 100_000_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (total, rate) => {
          const exact = total - (total * 10_000) / (10_000 + rate);
          expect(Math.abs(includedTax(total, rate) - exact)).toBeLessThanOrEqual(0.5);
        },
      ),
    );
  });
});

describe('toOrderLine', () => {
  it('computes total = quantity x unit price - discount, with tax from the total', () => {
    expect(toOrderLine(line({ quantity: 3, unitPrice: 12_500, totalDiscountAmount: 2500 }))).toMatchObject({
      totalAmount: 35_000,
      totalDiscountAmount: 2500,
      totalTaxAmount: 7000,
    });
  });
});

describe('computeOrder', () => {
  it('sums lines into order amount and order tax (EU model, discount and shipping lines)', () => {
    const totals = computeOrder(
      [
        line({ quantity: 2, unitPrice: 59_500 / 2, taxRate: 2000 }),
        line({ type: 'shipping_fee', reference: 'SHIP', name: 'Shipping', unitPrice: 2900, taxRate: 2000 }),
        line({ type: 'discount', reference: 'SPRING', name: 'Spring sale', unitPrice: -1000, taxRate: 2000 }),
      ],
      'DE',
    );
    expect(totals.lines.map((orderLine) => orderLine.totalTaxAmount)).toEqual([9917, 483, -167]);
    expect(totals.orderAmount).toBe(61_400);
    expect(totals.orderTaxAmount).toBe(10_233);
  });

  it('takes US sales tax from its own line', () => {
    const totals = computeOrder(
      [
        line({ unitPrice: 20_000, taxRate: 0 }),
        line({ type: 'sales_tax', reference: 'TAX', name: 'Sales Tax', unitPrice: 1000, taxRate: 0 }),
      ],
      'US',
    );
    expect(totals.orderAmount).toBe(21_000);
    expect(totals.orderTaxAmount).toBe(1000);
    expect(totals.lines.every((orderLine) => orderLine.totalTaxAmount === 0)).toBe(true);
  });
});

describe('checkLine and checkOrder', () => {
  it('accepts an ordinary line', () => {
    expect(checkLine(line(), 'SE')).toEqual([]);
  });

  it.each([
    [line({ unitPrice: -1 }), 'unitPrice'],
    [line({ type: 'discount', unitPrice: 100 }), 'unitPrice'],
    [line({ totalDiscountAmount: 10_001 }), 'totalDiscountAmount'],
    [line({ quantity: 2, unitPrice: 60_000_000 }), 'unitPrice'],
    [line({ type: 'sales_tax', taxRate: 0 }), 'type'],
  ])('refuses %j naming %s', (bad, field) => {
    expect(checkLine(bad, 'SE').map((error) => error.field)).toContain(field);
  });

  it('refuses a tax rate on US lines', () => {
    expect(checkLine(line({ taxRate: 800 }), 'US')).toEqual([
      { field: 'taxRate', message: 'must be 0 in a sales-tax market: add tax as a sales_tax line' },
    ]);
  });

  it('refuses more than 1000 lines and negative order amounts', () => {
    const many = computeOrder(
      Array.from({ length: 1001 }, () => line()),
      'SE',
    );
    expect(checkOrder(many)).toEqual([{ field: 'items', message: 'must have at most 1000 lines' }]);
    const negative = computeOrder([line({ type: 'discount', unitPrice: -500 })], 'SE');
    expect(checkOrder(negative)).toContainEqual({ field: 'items', message: 'order amount must not be negative' });
    expect(
      checkOrder(
        computeOrder(
          Array.from({ length: 1000 }, () => line()),
          'SE',
        ),
      ),
    ).toEqual([]);
  });
});

describe('amount limits, at their edges', () => {
  it('takes a line of exactly MAX_AMOUNT and refuses one minor unit more', () => {
    expect(checkLine(line({ quantity: 1, unitPrice: MAX_AMOUNT }), 'SE')).toEqual([]);
    expect(checkLine(line({ quantity: 1, unitPrice: MAX_AMOUNT + 1 }), 'SE')).toEqual([
      expect.objectContaining({ field: 'unitPrice' }),
    ]);
  });

  it('takes an order of exactly MAX_AMOUNT and 0, and refuses one minor unit beyond either', () => {
    const totals = (orderAmount: number) => ({ lines: [], orderAmount, orderTaxAmount: 0 });
    expect(checkOrder(totals(MAX_AMOUNT))).toEqual([]);
    expect(checkOrder(totals(0))).toEqual([]);
    expect(checkOrder(totals(MAX_AMOUNT + 1))).toEqual([expect.objectContaining({ field: 'items' })]);
    expect(checkOrder(totals(-1))).toEqual([expect.objectContaining({ field: 'items' })]);
  });
});
