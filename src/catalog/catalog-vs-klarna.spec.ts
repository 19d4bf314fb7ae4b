import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { salesTaxLines } from '../cart/cart-pricing.js';
import { checkLine, checkOrder, computeOrder, type CartLine } from '../cart/order-lines.js';
import { orderDataToWire } from '../klarna/klarna-wire.js';
import type { OrderAmounts } from '../klarna-simulator/klarna-types.js';
import { orderProblems } from '../klarna-simulator/order-rules.js';
import { KLARNA_MARKETS } from '../klarna/klarna-markets.js';
import { parseJsonImport } from './import-parser.js';
import { toEntry } from './postgres-catalog.js';
import { KLARNA_COUNTRIES, KLARNA_CURRENCIES, lineQuantityLimit } from './pricing.js';

/**
 * Property: whatever catalog the import accepts, every product priced for every market that sells it gives a
 * cart line Klarna's order-line arithmetic accepts, at every quantity up to the line's limit; with the US sales-tax
 * line the cart adds, whatever order the cart accepts, Klarna's rules accept.
 */
// Mostly prices a shop has, some near and over Klarna's limits (refused catalogs are skipped).
const price = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 100_000 }), weight: 8 },
  { arbitrary: fc.integer({ min: 0, max: 2_000_000 }), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 100_000_000 }), weight: 1 },
);

const product = fc.record({
  reference: fc.stringMatching(/^[A-Z0-9][A-Z0-9-]{0,15}$/),
  name: fc.string({ minLength: 1, maxLength: 40 }).filter((name) => name.trim().length > 0),
  names: fc.dictionary(fc.constantFrom('sv', 'de-DE', 'en-US'), fc.string({ minLength: 1, maxLength: 20 })),
  type: fc.constantFrom('physical', 'digital'),
  taxClass: fc.constantFrom('standard', 'reduced'),
  maxQuantity: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
  prices: fc.uniqueArray(fc.record({ currency: fc.constantFrom(...KLARNA_CURRENCIES), unitPrice: price }), {
    selector: (entry) => entry.currency,
    maxLength: 5,
  }),
});

const taxRate = fc.record({
  country: fc.constantFrom(...KLARNA_COUNTRIES),
  taxClass: fc.constantFrom('standard', 'reduced'),
  rate: fc.integer({ min: 0, max: 10_000 }),
});

describe('catalog prices vs Klarna order-line arithmetic', () => {
  it('every accepted catalog yields lines Klarna accepts for quantities 1..limit in every market selling them', () => {
    let linesChecked = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(product, { selector: (entry) => entry.reference, maxLength: 3 }),
        fc.uniqueArray(taxRate, {
          selector: (entry) => `${entry.country}/${entry.taxClass}`,
          minLength: 10,
          maxLength: 52,
        }),
        fc.oneof(fc.constant(99), fc.integer({ min: 1, max: 1000 })),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (products, taxRates, maxLineQuantity, quantityShare) => {
          const parsed = parseJsonImport({ products, taxRates }, maxLineQuantity);
          if (!parsed.ok) return;
          for (const accepted of parsed.batch.products) {
            for (const { currency, unitPrice } of accepted.prices) {
              for (const [country, market] of Object.entries(KLARNA_MARKETS)) {
                if (market.currency !== currency) continue;
                const rate = parsed.batch.taxRates.find(
                  (entry) => entry.country === country && entry.taxClass === accepted.taxClass,
                )?.rate;
                const entry = toEntry(
                  {
                    reference: accepted.reference,
                    name: accepted.name,
                    names: accepted.names,
                    type: accepted.type,
                    image_url: accepted.imageUrl,
                    product_url: accepted.productUrl,
                    max_quantity: accepted.maxQuantity,
                    unit_price: unitPrice,
                    rate: rate ?? null,
                  },
                  { country, currency, locale: market.locales[0] },
                );
                if (entry.notSoldInMarket) {
                  expect(rate).toBeUndefined();
                  continue;
                }
                const limit = lineQuantityLimit(entry.maxQuantity, maxLineQuantity);
                for (const quantity of new Set([1, limit, Math.max(1, Math.round(limit * quantityShare))])) {
                  const line: CartLine & { salesTaxRate?: number } = { ...entry, quantity, totalDiscountAmount: 0 };
                  expect(checkLine(line, country)).toEqual([]);
                  // The cart adds the sales-tax line of a sales-tax market (US) on top of the net line.
                  const totals = computeOrder([line, ...salesTaxLines([line])], country);
                  const refusals = checkOrder(totals);
                  if (entry.salesTaxRate === undefined) expect(refusals).toEqual([]);
                  // Whatever the cart accepts, Klarna's rules (the simulator's, from its docs) accept.
                  if (refusals.length === 0) {
                    const wire = orderDataToWire({
                      purchaseCountry: country,
                      purchaseCurrency: currency,
                      locale: market.locales[0],
                      orderAmount: totals.orderAmount,
                      orderTaxAmount: totals.orderTaxAmount,
                      orderLines: totals.lines,
                    });
                    expect(orderProblems(wire as unknown as OrderAmounts)).toEqual([]);
                  }
                  linesChecked += 1;
                }
              }
            }
          }
        },
      ),
      { numRuns: 500 },
    );
    // The property is about accepted catalogs: make sure plenty were accepted and checked.
    expect(linesChecked).toBeGreaterThan(300);
  });
});
