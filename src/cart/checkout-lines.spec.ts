import { describe, expect, it } from '@jest/globals';
import type { DiscountCodeRecord } from '../discount/discount-rules.js';
import { discountLines, itemsAmount, shippingFeeLine } from './checkout-lines.js';
import { computeOrder, type CartLine } from './order-lines.js';
import { salesTaxLines } from './cart-pricing.js';

const code = (overrides: Partial<DiscountCodeRecord> = {}): DiscountCodeRecord => ({
  code: 'SAVE',
  kind: 'percent',
  percent: 1000,
  amounts: [],
  minOrder: [],
  appliesTo: 'items',
  validFrom: null,
  validUntil: null,
  maxRedemptions: null,
  redeemedCount: 0,
  active: true,
  ...overrides,
});
const item = (unitPrice: number, taxRate: number, quantity = 1): CartLine & { salesTaxRate: null } => ({
  type: 'physical',
  reference: `sku-${unitPrice}`,
  name: 'Item',
  quantity,
  unitPrice,
  taxRate,
  totalDiscountAmount: 0,
  salesTaxRate: null,
});
const option = {
  methodId: 'home',
  name: 'Home',
  amount: 4900,
  regularAmount: 4900,
  free: false,
  taxRate: 2500,
  deliveryEstimate: null,
};

describe('checkout lines', () => {
  it('adds the shipping fee at its rate; in the US net, for the sales_tax line', () => {
    expect(shippingFeeLine(option, false)).toMatchObject({
      type: 'shipping_fee',
      unitPrice: 4900,
      taxRate: 2500,
      salesTaxRate: null,
    });
    expect(shippingFeeLine({ ...option, taxRate: 700 }, true)).toMatchObject({ taxRate: 0, salesTaxRate: 700 });
  });

  it('names one discount line per rate and keeps the order tax exact', () => {
    const items = [item(10_000, 2500, 2), item(5000, 600)];
    const lines = discountLines(code(), 'SEK', items, null, false);
    expect(lines.map((line) => [line.reference, line.unitPrice, line.taxRate])).toEqual([
      ['SAVE-600', -500, 600],
      ['SAVE-2500', -2000, 2500],
    ]);
    const order = computeOrder([...items, ...lines], 'SE');
    expect(order.orderAmount).toBe(25_000 - 2500);
    expect(order.orderTaxAmount).toBe(4000 + 283 - 400 - 28);
  });

  it('reduces the shipping fee only for items_and_shipping', () => {
    const items = [item(10_000, 2500)];
    const fee = shippingFeeLine(option, false);
    expect(discountLines(code(), 'SEK', items, fee, false).map((line) => line.unitPrice)).toEqual([-1000]);
    expect(
      discountLines(code({ appliesTo: 'items_and_shipping' }), 'SEK', items, fee, false).map((line) => line.unitPrice),
    ).toEqual([-1490]);
  });

  it('lowers the US sales tax by the discount', () => {
    const items = [{ ...item(10_000, 0), salesTaxRate: 700 }] as (CartLine & { salesTaxRate: number | null })[];
    const lines = discountLines(code(), 'USD', items, null, true);
    expect(lines).toEqual([expect.objectContaining({ unitPrice: -1000, taxRate: 0, salesTaxRate: 700 })]);
    expect(salesTaxLines([...items, ...lines])).toEqual([expect.objectContaining({ unitPrice: 630 })]);
  });

  it('counts only goods in the items amount', () => {
    expect(itemsAmount([item(1000, 2500, 3), { ...shippingFeeLine(option, false) }])).toBe(3000);
  });
});
