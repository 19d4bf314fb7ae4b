import { describe, expect, it } from '@jest/globals';
import type { ProductInput } from './catalog.types.js';
import { countsOf, planImport } from './import-plan.js';

const product = (overrides: Partial<ProductInput> = {}): ProductInput => ({
  reference: 'SHOE-1',
  name: 'Trail shoe',
  names: { sv: 'Sko', de: 'Schuh' },
  type: 'physical',
  taxClass: 'standard',
  imageUrl: null,
  productUrl: null,
  active: true,
  maxQuantity: null,
  prices: [
    { currency: 'SEK', unitPrice: 100 },
    { currency: 'EUR', unitPrice: 10 },
  ],
  ...overrides,
});

describe('planImport', () => {
  it('creates new products, replaces changed ones and leaves equal ones (whatever the order of prices and names)', () => {
    const existing = new Map([
      ['SHOE-1', product()],
      ['SOCKS', product({ reference: 'SOCKS' })],
    ]);
    const plan = planImport(existing, [
      product({
        names: { de: 'Schuh', sv: 'Sko' },
        prices: [
          { currency: 'EUR', unitPrice: 10 },
          { currency: 'SEK', unitPrice: 100 },
        ],
      }),
      product({ reference: 'SOCKS', prices: [{ currency: 'SEK', unitPrice: 100 }] }),
      product({ reference: 'LAMP' }),
    ]);
    expect(plan.toCreate.map((p) => p.reference)).toEqual(['LAMP']);
    expect(plan.toReplace.map((p) => p.reference)).toEqual(['SOCKS']);
    expect(countsOf(plan)).toEqual({ created: 1, updated: 1, unchanged: 1 });
  });

  it.each([
    [{ name: 'Other' }],
    [{ active: false }],
    [{ maxQuantity: 3 }],
    [{ imageUrl: 'https://x.example/a.jpg' }],
    [{ taxClass: 'books' }],
  ])('sees a change of %j', (change) => {
    expect(planImport(new Map([['SHOE-1', product()]]), [product(change)]).toReplace).toHaveLength(1);
  });
});
