import { describe, expect, it } from '@jest/globals';
import { readCatalogAnswer } from './remote-catalog-answer.js';

const market = { country: 'SE', currency: 'SEK', locale: 'sv-SE' };
const remote = (overrides: Record<string, unknown> = {}) => ({
  reference: 'SHOE-1',
  name: 'Terränglöparsko',
  type: 'physical',
  unitPrice: 129_900,
  taxRate: 2500,
  ...overrides,
});

describe('readCatalogAnswer', () => {
  it('reads the products asked for, ignoring unknown fields and products not asked for', () => {
    const answer = readCatalogAnswer(
      { products: [remote({ colour: 'red' }), remote({ reference: 'OTHER' })], notSoldInMarket: ['PLAN'] },
      ['SHOE-1', 'PLAN', 'GONE'],
      market,
    );
    expect(answer).toEqual({
      ok: true,
      items: new Map<string, unknown>([
        [
          'SHOE-1',
          {
            notSoldInMarket: false,
            reference: 'SHOE-1',
            name: 'Terränglöparsko',
            type: 'physical',
            unitPrice: 129_900,
            taxRate: 2500,
            imageUrl: null,
            productUrl: null,
            maxQuantity: null,
          },
        ],
        ['PLAN', { notSoldInMarket: true, reference: 'PLAN' }],
      ]),
    });
  });

  it.each([
    ['not an object', 'garbage'],
    ['no products', { items: [] }],
    ['a negative price', { products: [remote({ unitPrice: -1 })] }],
    ['a price as text', { products: [remote({ unitPrice: '129900' })] }],
    ['a tax rate above 100 %', { products: [remote({ taxRate: 10_001 })] }],
    ['an unknown type', { products: [remote({ type: 'discount' })] }],
    ['a javascript: URL', { products: [remote({ imageUrl: 'javascript:alert(1)' })] }],
    ['a duplicate', { products: [remote(), remote({ unitPrice: 1 })] }],
    ['a product that is not an object', { products: [null] }],
    ['notSoldInMarket that is not a list', { products: [], notSoldInMarket: 'PLAN' }],
  ])('refuses an answer with %s', (_case, body) => {
    expect(readCatalogAnswer(body, ['SHOE-1'], market).ok).toBe(false);
  });
});
