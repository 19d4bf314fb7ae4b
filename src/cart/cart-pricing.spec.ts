import { describe, expect, it } from '@jest/globals';
import type { PricedItems, PricedProduct } from '../catalog/catalog.types.js';
import { linePriceOf, priceLines, salesTaxLines } from './cart-pricing.js';

const SE = { country: 'SE', currency: 'SEK', locale: 'sv-SE' };
const product = (reference: string, overrides: Partial<PricedProduct> = {}): PricedProduct => ({
  notSoldInMarket: false,
  reference,
  name: 'Shoe',
  type: 'physical',
  unitPrice: 10_000,
  taxRate: 2500,
  imageUrl: null,
  productUrl: null,
  maxQuantity: null,
  ...overrides,
});
const catalog = (...entries: PricedItems extends Map<string, infer V> ? V[] : never): PricedItems =>
  new Map(entries.map((entry) => [entry.reference, entry]));

describe('priceLines: the catalog prices every line', () => {
  it('takes name, type, price and tax from the catalog, never from the request', () => {
    const { lines, changes } = priceLines(
      [{ reference: 'A', quantity: 2 }],
      catalog(product('A')),
      SE,
      99,
      new Map(),
      'A',
    );
    expect(lines).toEqual([{ reference: 'A', quantity: 2, ...linePriceOf(product('A')) }]);
    expect(changes).toEqual([]);
  });

  it('refuses the requested line when the catalog lacks it, or does not sell it in the market', () => {
    expect(() => priceLines([{ reference: 'X', quantity: 1 }], catalog(), SE, 99, new Map(), 'X')).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_PRODUCT' }),
    );
    expect(() =>
      priceLines(
        [{ reference: 'X', quantity: 1 }],
        catalog({ notSoldInMarket: true, reference: 'X' }),
        SE,
        99,
        new Map(),
        'X',
      ),
    ).toThrow(expect.objectContaining({ code: 'NOT_SOLD_IN_MARKET' }));
  });

  it('refuses a requested quantity above the product’s limit, or else the service’s', () => {
    expect(() =>
      priceLines([{ reference: 'A', quantity: 4 }], catalog(product('A', { maxQuantity: 3 })), SE, 99, new Map(), 'A'),
    ).toThrow(
      expect.objectContaining({ errors: [{ field: 'quantity', message: 'must not exceed 3 for this product' }] }),
    );
    expect(
      priceLines([{ reference: 'A', quantity: 3 }], catalog(product('A', { maxQuantity: 3 })), SE, 99, new Map(), 'A')
        .lines,
    ).toHaveLength(1);
    expect(() =>
      priceLines([{ reference: 'A', quantity: 100 }], catalog(product('A')), SE, 99, new Map(), 'A'),
    ).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('drops other lines no longer sold, cuts lowered limits, and reports moved prices', () => {
    const previous = new Map([
      ['line-b', linePriceOf(product('B'))],
      ['line-c', linePriceOf(product('C'))],
    ]);
    const { lines, changes } = priceLines(
      [
        { id: 'line-a', reference: 'A', quantity: 1 },
        { id: 'line-b', reference: 'B', quantity: 5 },
        { id: 'line-c', reference: 'C', quantity: 1 },
      ],
      catalog(product('B', { maxQuantity: 2 }), product('C', { unitPrice: 12_000 })),
      SE,
      99,
      previous,
    );
    expect(lines.map((line) => [line.reference, line.quantity, line.unitPrice])).toEqual([
      ['B', 2, 10_000],
      ['C', 1, 12_000],
    ]);
    expect(changes).toEqual([
      { kind: 'removed', itemId: 'line-a', reference: 'A', reason: 'unknown_product' },
      { kind: 'quantity_limited', itemId: 'line-b', reference: 'B', before: 5, after: 2 },
      {
        kind: 'price_changed',
        itemId: 'line-c',
        reference: 'C',
        before: linePriceOf(product('C')),
        after: linePriceOf(product('C', { unitPrice: 12_000 })),
      },
    ]);
  });

  it('sees a change of any field that reaches Klarna, not only the price', () => {
    const previous = new Map([['l', linePriceOf(product('A'))]]);
    const renamed = priceLines(
      [{ id: 'l', reference: 'A', quantity: 1 }],
      catalog(product('A', { name: 'Boot' })),
      SE,
      99,
      previous,
    );
    expect(renamed.changes.map((change) => change.kind)).toEqual(['price_changed']);
  });
});

describe('salesTaxLines (Klarna US model)', () => {
  const net = (unitPrice: number, quantity: number, salesTaxRate: number | null) => ({
    type: 'physical',
    reference: `R${unitPrice}`,
    name: 'Item',
    quantity,
    unitPrice,
    taxRate: 0,
    totalDiscountAmount: 0,
    salesTaxRate,
  });

  it('adds one sales_tax line of the rate on the net total, rounded half away from zero', () => {
    expect(salesTaxLines([net(20_000, 2, 725), net(999, 1, 725)])).toEqual([
      {
        type: 'sales_tax',
        reference: 'sales-tax',
        name: 'Sales tax',
        quantity: 1,
        unitPrice: 2972,
        taxRate: 0,
        totalDiscountAmount: 0,
      },
    ]);
    expect(salesTaxLines([net(200, 1, 725)])[0].unitPrice).toBe(15); // 14.5 -> 15
  });

  it('adds one line per rate when lines are taxed at several, and none outside sales-tax markets', () => {
    const lines = salesTaxLines([net(10_000, 1, 600), net(10_000, 1, 888)]);
    expect(lines.map((line) => [line.reference, line.unitPrice])).toEqual([
      ['sales-tax-600', 600],
      ['sales-tax-888', 888],
    ]);
    expect(salesTaxLines([net(10_000, 1, null)])).toEqual([]);
  });
});
