import { describe, expect, it } from '@jest/globals';
import { parseCsvImport, parseJsonImport } from './import-parser.js';

const product = (overrides: Record<string, unknown> = {}) => ({
  reference: 'SHOE-1',
  name: 'Trail shoe',
  type: 'physical',
  taxClass: 'standard',
  prices: [{ currency: 'SEK', unitPrice: 129_900 }],
  ...overrides,
});

const CSV_HEADER = 'reference,name,name:sv-SE,type,taxClass,currency,unitPrice,maxQuantity,active,imageUrl';

describe('parseJsonImport', () => {
  it('reads an array of products with defaults for the optional fields', () => {
    const result = parseJsonImport([product()], 99);
    expect(result).toEqual({
      ok: true,
      batch: {
        taxRates: [],
        products: [
          {
            reference: 'SHOE-1',
            name: 'Trail shoe',
            names: {},
            type: 'physical',
            taxClass: 'standard',
            imageUrl: null,
            productUrl: null,
            active: true,
            maxQuantity: null,
            prices: [{ currency: 'SEK', unitPrice: 129_900 }],
          },
        ],
      },
    });
  });

  it('reads { products, taxRates }', () => {
    const result = parseJsonImport(
      { products: [], taxRates: [{ country: 'SE', taxClass: 'standard', rate: 2500 }] },
      99,
    );
    expect(result).toEqual({
      ok: true,
      batch: { products: [], taxRates: [{ country: 'SE', taxClass: 'standard', rate: 2500 }] },
    });
  });

  it.each([
    [{ reference: '' }, 'reference'],
    [{ reference: 'A,B' }, 'reference'],
    [{ reference: ' padded' }, 'reference'],
    [{ reference: 'x'.repeat(256) }, 'reference'],
    [{ name: '' }, 'name'],
    [{ name: 'n'.repeat(256) }, 'name'],
    [{ type: 'gift_card' }, 'type'],
    [{ taxClass: 'Standard Rate' }, 'taxClass'],
    [{ names: { swedish: 'Sko' } }, 'names'],
    [{ names: { 'sv-SE': '' } }, 'names'],
    [{ imageUrl: 'ftp://images.example.com/a.jpg' }, 'imageUrl'],
    [{ productUrl: `https://example.com/${'p'.repeat(1020)}` }, 'productUrl'],
    [{ maxQuantity: 0 }, 'maxQuantity'],
    [{ maxQuantity: 1001 }, 'maxQuantity'],
    [{ active: 'yes' }, 'active'],
    [{ prices: [{ currency: 'JPY', unitPrice: 100 }] }, 'prices[0].currency'],
    [{ prices: [{ currency: 'SEK', unitPrice: -1 }] }, 'prices[0].unitPrice'],
    [{ prices: [{ currency: 'SEK', unitPrice: 1.5 }] }, 'prices[0].unitPrice'],
    [{ prices: [{ currency: 'SEK', unitPrice: 100_000_001 }] }, 'prices[0].unitPrice'],
    [
      {
        prices: [
          { currency: 'SEK', unitPrice: 1 },
          { currency: 'SEK', unitPrice: 2 },
        ],
      },
      'prices',
    ],
    [{ colour: 'red' }, 'colour'],
  ])('refuses %j naming %s with its row', (overrides, field) => {
    const result = parseJsonImport([product({ reference: 'GOOD' }), product(overrides)], 99);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((error) => [error.row, error.field])).toContainEqual([1, field]);
  });

  it("refuses a price that, times the largest line quantity, breaks Klarna's 100 000 000 line limit", () => {
    const atLimit = parseJsonImport([product({ prices: [{ currency: 'SEK', unitPrice: 1_010_101 }] })], 99);
    expect(atLimit.ok).toBe(true);
    const over = parseJsonImport([product({ prices: [{ currency: 'SEK', unitPrice: 1_010_102 }] })], 99);
    expect(over).toMatchObject({ ok: false, errors: [{ row: 0, field: 'prices[0].unitPrice' }] });
    const ownLimit = parseJsonImport(
      [product({ maxQuantity: 1, prices: [{ currency: 'SEK', unitPrice: 100_000_000 }] })],
      99,
    );
    expect(ownLimit.ok).toBe(true);
  });

  it('refuses a reference twice and a tax rate twice', () => {
    const result = parseJsonImport(
      {
        products: [product(), product()],
        taxRates: [
          { country: 'SE', taxClass: 'standard', rate: 2500 },
          { country: 'SE', taxClass: 'standard', rate: 1200 },
          { country: 'JP', taxClass: 'standard', rate: 1000 },
        ],
      },
      99,
    );
    expect(result).toMatchObject({
      ok: false,
      errors: [
        { row: 1, field: 'reference', message: 'duplicates row 0' },
        { row: 1, field: 'taxRates[1].taxClass' },
        { row: 2, field: 'taxRates[2].country' },
      ],
    });
  });

  it.each([[{}], ['text'], [{ products: [], extra: 1 }], [null]])('refuses a body that is %j', (body) => {
    expect(parseJsonImport(body, 99)).toMatchObject({ ok: false, errors: [{ field: 'body' }] });
  });
});

describe('parseCsvImport', () => {
  it('reads one row per product and currency into products with their prices and names', () => {
    const csv = [
      CSV_HEADER,
      'SHOE-1,Trail shoe,Terrängsko,physical,standard,SEK,129900,10,true,https://shop.example.com/shoe.jpg',
      'SHOE-1,Trail shoe,Terrängsko,physical,standard,EUR,11995,10,true,https://shop.example.com/shoe.jpg',
      '"PLAN ""12 weeks""","Plan, 12 weeks",,digital,standard,SEK,29900,,false,',
    ].join('\n');
    expect(parseCsvImport(csv, 99)).toEqual({
      ok: true,
      batch: {
        taxRates: [],
        products: [
          {
            reference: 'SHOE-1',
            name: 'Trail shoe',
            names: { 'sv-SE': 'Terrängsko' },
            type: 'physical',
            taxClass: 'standard',
            imageUrl: 'https://shop.example.com/shoe.jpg',
            productUrl: null,
            active: true,
            maxQuantity: 10,
            prices: [
              { currency: 'SEK', unitPrice: 129_900 },
              { currency: 'EUR', unitPrice: 11_995 },
            ],
          },
          expect.objectContaining({ reference: 'PLAN "12 weeks"', name: 'Plan, 12 weeks', active: false }),
        ],
      },
    });
  });

  it('refuses the file naming each bad line (header = line 1) and column', () => {
    const csv = [
      CSV_HEADER,
      'SHOE-1,Trail shoe,,physical,standard,SEK,129900,,,',
      'SHOE-1,Trail shoe,,physical,standard,SEK,119900,,,',
      'SHOE-1,Other name,,physical,standard,EUR,11995,,,',
      'SOCKS,Socks,,physical,standard,SEK,12.50,,,',
      'LAMP,Lamp,,physical,standard,XYZ,100,,,',
      'BIG,Big,,physical,standard,SEK,2000000,,,',
    ].join('\r\n');
    expect(parseCsvImport(csv, 99)).toEqual({
      ok: false,
      errors: [
        { row: 3, field: 'currency', message: 'duplicates line 2' },
        { row: 4, field: 'name', message: 'differs from line 2 of the same reference' },
        { row: 5, field: 'unitPrice', message: 'must be an integer number' },
        { row: 6, field: 'currency', message: 'must be a currency Klarna sells in (ISO 4217)' },
        { row: 7, field: 'unitPrice', message: expect.stringContaining("Klarna's line limit") },
      ],
    });
  });

  it('refuses unknown, doubled and missing columns on line 1', () => {
    expect(parseCsvImport('reference,name,colour,name,type,currency,unitPrice\n', 99)).toEqual({
      ok: false,
      errors: [
        { row: 1, field: 'colour', message: 'is not a known column' },
        { row: 1, field: 'name', message: 'appears twice' },
        { row: 1, field: 'taxClass', message: 'is a required column' },
      ],
    });
  });

  it('refuses CSV it cannot read, naming the line', () => {
    const result = parseCsvImport(`${CSV_HEADER}\nSHOE-1,"Trail shoe,,physical`, 99);
    expect(result).toMatchObject({ ok: false, errors: [{ field: 'body' }] });
    const ragged = parseCsvImport(`${CSV_HEADER}\nSHOE-1,Trail shoe\n`, 99);
    expect(ragged).toMatchObject({ ok: false, errors: [{ row: 2, field: 'body' }] });
  });
});
