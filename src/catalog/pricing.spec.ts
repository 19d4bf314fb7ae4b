import { describe, expect, it } from '@jest/globals';
import { NotSoldInMarketError, UnknownProductError } from '../common/errors.js';
import type { CatalogEntry, PricedItems } from './catalog.types.js';
import { decodeCursor, encodeCursor, localizedName, requirePricedProduct, toPricedProduct } from './pricing.js';

const facts = {
  reference: 'SHOE-1',
  name: 'Trail shoe',
  type: 'physical' as const,
  unitPrice: 12_900,
  rate: 888,
  imageUrl: null,
  productUrl: null,
  maxQuantity: null,
};

describe('localizedName', () => {
  const names = { 'sv-FI': 'Terränglöparsko (FI)', sv: 'Terränglöparsko', de: 'Traillaufschuh' };
  it.each([
    ['sv-FI', 'Terränglöparsko (FI)'],
    ['sv-SE', 'Terränglöparsko'],
    ['de-AT', 'Traillaufschuh'],
    ['en-GB', 'Trail shoe'],
  ])('for %s is %s', (locale, expected) => {
    expect(localizedName('Trail shoe', names, locale)).toBe(expected);
  });
});

describe('toPricedProduct', () => {
  it('puts the tax rate on the line in tax-included markets', () => {
    const priced = toPricedProduct(facts, { country: 'DE', currency: 'EUR', locale: 'de-DE' });
    expect(priced.taxRate).toBe(888);
    expect(priced).not.toHaveProperty('salesTaxRate');
  });

  it("follows Klarna's US model: no tax rate on the line, the rate is the sales-tax line's", () => {
    const priced = toPricedProduct(facts, { country: 'US', currency: 'USD', locale: 'en-US' });
    expect(priced).toMatchObject({ taxRate: 0, salesTaxRate: 888, unitPrice: 12_900 });
  });
});

describe('requirePricedProduct', () => {
  const market = { country: 'SE', currency: 'SEK', locale: 'sv-SE' };
  const items: PricedItems = new Map<string, CatalogEntry>([
    ['SHOE-1', toPricedProduct(facts, market)],
    ['PLAN', { notSoldInMarket: true, reference: 'PLAN' }],
  ]);
  it('answers the priced product, UNKNOWN_PRODUCT or NOT_SOLD_IN_MARKET', () => {
    expect(requirePricedProduct(items, 'SHOE-1', market).unitPrice).toBe(12_900);
    expect(() => requirePricedProduct(items, 'NOPE', market)).toThrow(UnknownProductError);
    expect(() => requirePricedProduct(items, 'PLAN', market)).toThrow(NotSoldInMarketError);
  });
});

describe('page cursors', () => {
  it('round-trip any reference and refuse what is not one', () => {
    for (const reference of ['SHOE-1', 'Ö/ä ü', 'x'.repeat(255)]) {
      expect(decodeCursor(encodeCursor(reference))).toBe(reference);
    }
    expect(decodeCursor('not a cursor!')).toBeUndefined();
    expect(decodeCursor('')).toBeUndefined();
  });
});
