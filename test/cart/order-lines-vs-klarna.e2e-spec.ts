import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { checkLine, checkOrder, computeOrder, ORDER_LINE_TYPES, type CartLine } from '../../src/cart/order-lines.js';
import { KLARNA_MARKETS, SALES_TAX_MARKETS } from '../../src/klarna/klarna-markets.js';
import { startKlarnaSimulator, type KlarnaSimulator } from '../../src/klarna-simulator/klarna-simulator.js';
import { orderDataToWire } from '../../src/klarna/klarna-wire.js';
import { salesTaxLines } from '../../src/cart/cart-pricing.js';
import { discountLines, shippingFeeLine, type AddedLine } from '../../src/cart/checkout-lines.js';
import type { DiscountCodeRecord } from '../../src/discount/discount-rules.js';
import { SimulatorClient } from '../klarna-simulator/simulator-test-kit.js';

/**
 * Property: every cart our order-line rules accept, Klarna's rules (the simulator, written independently)
 * accept too, so Klarna never answers BAD_VALUE for our arithmetic.
 */
const market = fc.constantFrom(
  ...Object.entries(KLARNA_MARKETS).map(([country, { currency, locales }]) => ({ country, currency, locales })),
);

const REDUCING_TYPES = ['discount', 'gift_card', 'store_credit'];

const line = (salesTaxMarket: boolean): fc.Arbitrary<CartLine> =>
  fc
    .record({
      type: fc.constantFrom(...ORDER_LINE_TYPES.filter((type) => salesTaxMarket || type !== 'sales_tax')),
      reference: fc.string({ minLength: 1, maxLength: 64 }),
      name: fc.string({ minLength: 1, maxLength: 255 }),
      quantity: fc.integer({ min: 1, max: 20 }),
      price: fc.integer({ min: 0, max: 5_000_000 }),
      taxRate: salesTaxMarket
        ? fc.constant(0)
        : fc.oneof(fc.constantFrom(0, 600, 770, 1200, 2000, 2500), fc.integer({ min: 0, max: 10_000 })),
      discountShare: fc.integer({ min: 0, max: 100 }),
    })
    .map(({ discountShare, price, ...fields }) => {
      // Reductions (discount, gift card, store credit) are negative lines, kept small next to the goods.
      const unitPrice = REDUCING_TYPES.includes(fields.type) ? -Math.floor(price / 1000) : price;
      const gross = fields.quantity * unitPrice;
      return { ...fields, unitPrice, totalDiscountAmount: gross > 0 ? Math.floor((gross * discountShare) / 200) : 0 };
    });

const cart = market.chain((chosen) =>
  fc.record({
    purchaseCountry: fc.constant(chosen.country),
    purchaseCurrency: fc.constant(chosen.currency),
    locale: fc.constantFrom(...chosen.locales),
    lines: fc.array(line(SALES_TAX_MARKETS.has(chosen.country)), { minLength: 1, maxLength: 12 }),
  }),
);

/** Issue 13: goods the catalog prices, a shipping method and a discount code, as the cart service builds them. */
const checkoutCart = market.chain((chosen) => {
  const salesTaxModel = SALES_TAX_MARKETS.has(chosen.country);
  const rate = fc.oneof(fc.constantFrom(0, 600, 700, 1200, 2000, 2500), fc.integer({ min: 0, max: 10_000 }));
  const item = fc
    .record({
      type: fc.constantFrom('physical', 'digital'),
      quantity: fc.integer({ min: 1, max: 20 }),
      unitPrice: fc.integer({ min: 0, max: 2_000_000 }),
      rate,
    })
    .map(({ rate: itemRate, ...fields }) => ({
      ...fields,
      reference: 'sku',
      name: 'Item',
      taxRate: salesTaxModel ? 0 : itemRate,
      salesTaxRate: salesTaxModel ? itemRate : null,
      totalDiscountAmount: 0,
    }));
  const shipping = fc.option(
    fc.record({ amount: fc.integer({ min: 0, max: 100_000 }), taxRate: rate, free: fc.boolean() }),
    { nil: undefined },
  );
  const code = fc.option(
    fc.record({
      kind: fc.constantFrom('percent' as const, 'fixed' as const),
      percent: fc.integer({ min: 1, max: 10_000 }),
      amount: fc.integer({ min: 0, max: 5_000_000 }),
      appliesTo: fc.constantFrom('items' as const, 'items_and_shipping' as const),
    }),
    { nil: undefined },
  );
  return fc.record({
    purchaseCountry: fc.constant(chosen.country),
    purchaseCurrency: fc.constant(chosen.currency),
    locale: fc.constantFrom(...chosen.locales),
    items: fc.array(item, { minLength: 1, maxLength: 10 }),
    shipping,
    code,
  });
});

describe('order lines: what we accept, Klarna accepts', () => {
  let simulator: KlarnaSimulator;
  let klarna: SimulatorClient;
  beforeAll(async () => {
    simulator = await startKlarnaSimulator({ port: 0 });
    klarna = new SimulatorClient(simulator);
  });
  afterAll(() => simulator.close());

  it('creates a Klarna session for every random cart that passes our checks', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(cart, async (candidate) => {
        const lineErrors = candidate.lines.flatMap((cartLine) => checkLine(cartLine, candidate.purchaseCountry));
        const totals = computeOrder(candidate.lines, candidate.purchaseCountry);
        fc.pre(lineErrors.length === 0 && checkOrder(totals).length === 0);
        accepted += 1;
        const body = orderDataToWire({
          purchaseCountry: candidate.purchaseCountry,
          purchaseCurrency: candidate.purchaseCurrency,
          locale: candidate.locale,
          orderAmount: totals.orderAmount,
          orderTaxAmount: totals.orderTaxAmount,
          orderLines: totals.lines,
        });
        const answer = await klarna.klarna('POST', '/payments/v1/sessions', body);
        expect({ status: answer.status, body: answer.status === 200 ? null : answer.body }).toEqual({
          status: 200,
          body: null,
        });
      }),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(50);
  });

  it('creates a Klarna session for every mix of goods, shipping method and discount code the service accepts', async () => {
    let accepted = 0;
    let withDiscount = 0;
    await fc.assert(
      fc.asyncProperty(checkoutCart, async (candidate) => {
        const salesTaxModel = SALES_TAX_MARKETS.has(candidate.purchaseCountry);
        const items = candidate.items.map((item, index) => ({ ...item, reference: `sku-${index}` }));
        const fee: AddedLine | null = candidate.shipping
          ? shippingFeeLine(
              {
                methodId: 'ship',
                name: 'Shipping',
                amount: candidate.shipping.free ? 0 : candidate.shipping.amount,
                regularAmount: candidate.shipping.amount,
                free: candidate.shipping.free,
                taxRate: candidate.shipping.taxRate,
                deliveryEstimate: null,
              },
              salesTaxModel,
            )
          : null;
        const code: DiscountCodeRecord | null = candidate.code
          ? {
              code: 'CODE',
              kind: candidate.code.kind,
              percent: candidate.code.kind === 'percent' ? candidate.code.percent : null,
              amounts: [{ currency: candidate.purchaseCurrency, amount: candidate.code.amount }],
              minOrder: [],
              appliesTo: candidate.code.appliesTo,
              validFrom: null,
              validUntil: null,
              maxRedemptions: null,
              redeemedCount: 0,
              active: true,
            }
          : null;
        const discounts = code ? discountLines(code, candidate.purchaseCurrency, items, fee, salesTaxModel) : [];
        const lines = [...items, ...(fee ? [fee] : []), ...discounts];
        const allLines: CartLine[] = [...lines, ...salesTaxLines(lines)];
        const lineErrors = allLines.flatMap((cartLine) => checkLine(cartLine, candidate.purchaseCountry));
        const totals = computeOrder(allLines, candidate.purchaseCountry);
        fc.pre(lineErrors.length === 0 && checkOrder(totals).length === 0);
        accepted += 1;
        if (discounts.length > 0) withDiscount += 1;
        const body = orderDataToWire({
          purchaseCountry: candidate.purchaseCountry,
          purchaseCurrency: candidate.purchaseCurrency,
          locale: candidate.locale,
          orderAmount: totals.orderAmount,
          orderTaxAmount: totals.orderTaxAmount,
          orderLines: totals.lines,
        });
        const answer = await klarna.klarna('POST', '/payments/v1/sessions', body);
        expect({ status: answer.status, body: answer.status === 200 ? null : answer.body }).toEqual({
          status: 200,
          body: null,
        });
      }),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(150);
    expect(withDiscount).toBeGreaterThan(50);
  });
});
