import { describe, expect, it } from '@jest/globals';
import type { KlarnaOrderData, KlarnaOrderLine } from '../klarna/klarna.types.js';
import { sameOrderContent } from './session-cart.js';

const line: KlarnaOrderLine = {
  type: 'physical',
  reference: 'SKU-1',
  name: 'Shoe',
  quantity: 2,
  unitPrice: 10_000,
  taxRate: 2500,
  totalAmount: 20_000,
  totalDiscountAmount: 0,
  totalTaxAmount: 4000,
};
const cart: KlarnaOrderData = {
  purchaseCountry: 'SE',
  purchaseCurrency: 'SEK',
  locale: 'sv-SE',
  orderAmount: 20_000,
  orderTaxAmount: 4000,
  orderLines: [line],
};

describe('sameOrderContent (read-back after a push of unknown outcome)', () => {
  const held = { status: 'incomplete', orderAmount: 20_000, orderTaxAmount: 4000, orderLines: [{ ...line }] };

  it('accepts what Klarna holds when amounts and every charged line field match', () => {
    expect(sameOrderContent(held, cart)).toBe(true);
    expect(sameOrderContent({ ...held, orderLines: [{ ...line, imageUrl: 'https://x' }] }, cart)).toBe(true);
  });

  it.each([
    ['the order amount', { orderAmount: 19_999 }],
    ['the tax amount', { orderTaxAmount: 3999 }],
    ['a line quantity', { orderLines: [{ ...line, quantity: 1 }] }],
    ['a line reference', { orderLines: [{ ...line, reference: 'SKU-2' }] }],
    ['the number of lines', { orderLines: [line, line] }],
  ])('sees a difference in %s', (_what, change) => {
    expect(sameOrderContent({ ...held, ...change }, cart)).toBe(false);
  });
});

describe('sameOrderContent with several lines', () => {
  it('sees a difference in any one line, not only when all differ', () => {
    const second = { ...line, reference: 'SKU-2', name: 'Sock' };
    const twoLines = { ...cart, orderAmount: 40_000, orderTaxAmount: 8000, orderLines: [line, second] };
    const held = { status: 'incomplete', orderAmount: 40_000, orderTaxAmount: 8000, orderLines: [line, second] };
    expect(sameOrderContent(held, twoLines)).toBe(true);
    expect(sameOrderContent({ ...held, orderLines: [line, { ...second, name: 'Socks' }] }, twoLines)).toBe(false);
  });
});
