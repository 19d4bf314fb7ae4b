import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { Catalog } from '../../src/catalog/catalog.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { aProduct, migratedScratchDatabase, OPS, uniqueReference } from './catalog-test-kit.js';

interface Page {
  products: Record<string, unknown>[];
  nextCursor: string | null;
}
interface ErrorBody {
  code: string;
  message: string;
  errors?: { field: string; message: string; row?: number }[];
}

const SE = 'country=SE&currency=SEK&locale=sv-SE';
const NO = 'country=NO&currency=NOK&locale=nb-NO';

describe('catalog on PostgreSQL: storefront and operations', () => {
  let service: TestApp;
  /** This suite's own database (service.database is the run's shared one). */
  let database: pg.Client;
  const countRows = async (table: string) =>
    Number((await database.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

  beforeAll(async () => {
    // Its own database: the demo seed and the listings must see exactly this suite's products.
    const url = await migratedScratchDatabase('catalog');
    service = await startTestApp({ DATABASE_URL: url });
    database = new pg.Client({ connectionString: url });
    await database.connect();
  });
  afterAll(async () => {
    await database.end();
    await service.close();
  });

  describe('demo seed', () => {
    it('filled the empty catalog at start-up (not production) with products priced for SE, DE, GB and US', async () => {
      const se = await service.http.get<Page>(`/catalog/products?${SE}&limit=100`);
      expect(se.status).toBe(200);
      expect(se.body.products).toContainEqual(
        expect.objectContaining({
          reference: 'DEMO-TRAIL-SHOE',
          name: 'Terränglöparsko',
          unitPrice: 129_900,
          taxRate: 2500,
        }),
      );
      const types = new Set(se.body.products.map((product) => product.type));
      expect(types).toEqual(new Set(['physical', 'digital']));
      for (const market of ['country=DE&currency=EUR&locale=de-DE', 'country=GB&currency=GBP&locale=en-GB']) {
        expect((await service.http.get<Page>(`/catalog/products?${market}`)).body.products.length).toBeGreaterThan(3);
      }
      const us = await service.http.get<Page>('/catalog/products?country=US&currency=USD&locale=en-US');
      expect(us.body.products).toContainEqual(
        expect.objectContaining({ reference: 'DEMO-TRAIL-SHOE', unitPrice: 12_900, taxRate: 0, salesTaxRate: 888 }),
      );
    });

    it('does not seed again once the catalog has anything, and never in production', async () => {
      const before = await countRows('catalog_product');
      const again = await startTestApp({ DATABASE_URL: service.config.databaseUrl! });
      await again.close();
      expect(await countRows('catalog_product')).toBe(before);

      const empty = await migratedScratchDatabase('catalog_prod');
      const production = await startTestApp({ DATABASE_URL: empty, NODE_ENV: 'production' });
      try {
        const listed = await production.http.get<Page>(`/catalog/products?${SE}`);
        expect(listed.body).toEqual({ products: [], nextCursor: null });
      } finally {
        await production.close();
      }
    });
  });

  describe('storefront listing', () => {
    const references = ['NO-A', 'NO-B', 'NO-C', 'NO-D', 'NO-E'];
    beforeAll(async () => {
      expect((await service.http.put('/catalog/tax-rates/NO/standard', { rate: 2500 }, OPS)).status).toBe(201);
      // Inserted out of order: the listing is by reference.
      for (const reference of [...references].reverse()) {
        const response = await service.http.put(
          `/catalog/products/${reference}`,
          aProduct({
            name: `Product ${reference}`,
            names: { nb: `Produkt ${reference}`, 'nb-NO': `Vare ${reference}` },
            prices: [{ currency: 'NOK', unitPrice: 10_000 }],
            maxQuantity: reference === 'NO-A' ? 3 : undefined,
          }),
          OPS,
        );
        expect(response.status).toBe(201);
      }
      await service.http.put(
        '/catalog/products/NO-OFF',
        aProduct({ active: false, prices: [{ currency: 'NOK', unitPrice: 1 }] }),
        OPS,
      );
      await service.http.put(
        '/catalog/products/NO-UNTAXED',
        aProduct({ taxClass: 'books', prices: [{ currency: 'NOK', unitPrice: 1 }] }),
        OPS,
      );
      await service.http.put(
        '/catalog/products/NO-SEK-ONLY',
        aProduct({ prices: [{ currency: 'SEK', unitPrice: 1 }] }),
        OPS,
      );
    });

    it('pages through what the market sells by reference, with a cursor, until nextCursor is null', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const response: { status: number; body: Page } = await service.http.get<Page>(
          `/catalog/products?${NO}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(response.status).toBe(200);
        expect(response.body.products.length).toBeLessThanOrEqual(2);
        seen.push(...response.body.products.map((product) => product.reference as string));
        cursor = response.body.nextCursor;
        pages += 1;
      } while (cursor !== null);
      // Inactive, untaxed (no NO rate for its class) and not priced in NOK: not listed.
      expect(seen).toEqual(references);
      expect(pages).toBe(3);
      // A page that ends exactly at the last product says so: no empty page after it.
      const exact = await service.http.get<Page>(`/catalog/products?${NO}&limit=${references.length}`);
      expect(exact.body.products).toHaveLength(references.length);
      expect(exact.body.nextCursor).toBeNull();
    });

    it('shows the localized name, price, tax rate and the largest quantity of a line', async () => {
      const { body } = await service.http.get<Page>(`/catalog/products?${NO}&limit=1`);
      expect(body.products[0]).toEqual({
        reference: 'NO-A',
        name: 'Vare NO-A',
        type: 'physical',
        unitPrice: 10_000,
        currency: 'NOK',
        taxRate: 2500,
        imageUrl: null,
        productUrl: null,
        maxQuantity: 3,
      });
      const english = await service.http.get<Page>('/catalog/products?country=NO&currency=NOK&locale=en-NO&limit=2');
      expect(english.body.products.map((product) => [product.name, product.maxQuantity])).toEqual([
        ['Product NO-A', 3],
        ['Product NO-B', 99],
      ]);
    });

    it.each([
      ['country=XX&currency=SEK&locale=sv-SE', 'country'],
      ['country=SE&currency=EUR&locale=sv-SE', 'currency'],
      ['country=SE&currency=SEK&locale=de-DE', 'locale'],
      ['currency=SEK&locale=sv-SE', 'country'],
      [`${SE}&limit=0`, 'limit'],
      [`${SE}&limit=101`, 'limit'],
      [`${SE}&cursor=not-ours!`, 'cursor'],
      [`${SE}&sort=price`, 'sort'],
    ])('refuses %s with 400 naming %s', async (query, field) => {
      const response = await service.http.get<ErrorBody>(`/catalog/products?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors?.map((error) => error.field)).toContain(field);
    });
  });

  describe('one product', () => {
    it('answers it priced for the market, 404 when unknown or inactive, 422 when not sold there', async () => {
      const reference = uniqueReference();
      await service.http.put(`/catalog/products/${reference}`, aProduct({ names: { sv: 'Löparsko' } }), OPS);
      const found = await service.http.get(`/catalog/products/${reference}?${SE}`);
      expect(found.status).toBe(200);
      expect(found.body).toMatchObject({ reference, name: 'Löparsko', unitPrice: 129_900, taxRate: 2500 });

      const unknown = await service.http.get<ErrorBody>(`/catalog/products/NOPE-${reference}?${SE}`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('PRODUCT_NOT_FOUND');

      const notSold = await service.http.get<ErrorBody>(
        `/catalog/products/${reference}?country=GB&currency=GBP&locale=en-GB`,
      );
      expect(notSold.status).toBe(422);
      expect(notSold.body).toMatchObject({ code: 'NOT_SOLD_IN_MARKET', errors: [{ field: 'reference' }] });

      await service.http.patch(`/catalog/products/${reference}`, { active: false }, OPS);
      expect((await service.http.get(`/catalog/products/${reference}?${SE}`)).status).toBe(404);
    });

    it('prices a whole cart in one call: priced, not sold in the market, and absent when unknown or inactive', async () => {
      const [priced, untaxed, inactive] = [uniqueReference(), uniqueReference(), uniqueReference()];
      await service.http.put(
        `/catalog/products/${priced}`,
        aProduct({ names: { 'sv-SE': 'Sko' }, maxQuantity: 2 }),
        OPS,
      );
      await service.http.put(`/catalog/products/${untaxed}`, aProduct({ taxClass: 'no-rate-here' }), OPS);
      await service.http.put(`/catalog/products/${inactive}`, aProduct({ active: false }), OPS);
      const catalog = service.app.get(Catalog);
      expect(catalog.source).toBe('postgres');
      const items = await catalog.priceItems({ country: 'SE', currency: 'SEK', locale: 'sv-SE' }, [
        priced,
        untaxed,
        inactive,
        'NOT-IN-THE-CATALOG',
      ]);
      expect([...items.keys()].sort()).toEqual([priced, untaxed].sort());
      expect(items.get(priced)).toEqual({
        notSoldInMarket: false,
        reference: priced,
        name: 'Sko',
        type: 'physical',
        unitPrice: 129_900,
        taxRate: 2500,
        imageUrl: null,
        productUrl: null,
        maxQuantity: 2,
      });
      expect(items.get(untaxed)).toEqual({ notSoldInMarket: true, reference: untaxed });
    });

    it('refuses a market Klarna does not sell in and a reference that cannot be one', async () => {
      const market = await service.http.get<ErrorBody>(
        '/catalog/products/DEMO-TRAIL-SHOE?country=SE&currency=NOK&locale=sv-SE',
      );
      expect(market.status).toBe(400);
      expect(market.body.errors).toEqual([{ field: 'currency', message: 'must be SEK in SE' }]);
      const reference = await service.http.get<ErrorBody>(`/catalog/products/A%2CB?${SE}`);
      expect(reference.status).toBe(400);
      expect(reference.body.errors?.[0].field).toBe('reference');
    });
  });

  describe('operations', () => {
    it('refuses every write without the operations key, and writes nothing', async () => {
      const products = await countRows('catalog_product');
      const taxRates = await countRows('catalog_tax_rate');
      const attempts = [
        service.http.put('/catalog/products/NO-KEY', aProduct()),
        service.http.put('/catalog/products/NO-KEY', aProduct(), { authorization: 'Bearer wrong-key-wrong-key-0' }),
        service.http.patch('/catalog/products/DEMO-TRAIL-SHOE', { active: false }),
        service.http.put('/catalog/tax-rates/SE/standard', { rate: 0 }),
        service.http.post('/catalog/import', [{ reference: 'NO-KEY', ...aProduct() }]),
        service.http.request('POST', '/catalog/import', 'reference\n', { 'content-type': 'text/csv' }),
      ];
      for (const response of await Promise.all(attempts)) {
        expect(response.status).toBe(401);
        expect(response.body).toMatchObject({ code: 'UNAUTHORIZED' });
      }
      expect(await countRows('catalog_product')).toBe(products);
      expect(await countRows('catalog_tax_rate')).toBe(taxRates);
      const shoe = await service.http.get(`/catalog/products/DEMO-TRAIL-SHOE?${SE}`);
      expect(shoe.status).toBe(200);
    });

    it('creates a product (201), replaces it whole (200), prices included', async () => {
      const reference = uniqueReference();
      const created = await service.http.put(`/catalog/products/${reference}`, aProduct({ maxQuantity: 5 }), OPS);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        reference,
        active: true,
        maxQuantity: 5,
        names: {},
        prices: [
          { currency: 'EUR', unitPrice: 11_995 },
          { currency: 'SEK', unitPrice: 129_900 },
        ],
      });
      const replaced = await service.http.put(
        `/catalog/products/${reference}`,
        aProduct({ name: 'Renamed', prices: [{ currency: 'SEK', unitPrice: 99_900 }] }),
        OPS,
      );
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({
        name: 'Renamed',
        maxQuantity: null,
        prices: [{ currency: 'SEK', unitPrice: 99_900 }],
      });
      const inEuros = await service.http.get<ErrorBody>(
        `/catalog/products/${reference}?country=DE&currency=EUR&locale=de-DE`,
      );
      expect(inEuros.body.code).toBe('NOT_SOLD_IN_MARKET');
    });

    it.each([
      [{ name: '' }, 'name'],
      [{ type: 'discount' }, 'type'],
      [{ taxClass: '' }, 'taxClass'],
      [{ imageUrl: 'javascript:alert(1)' }, 'imageUrl'],
      [{ maxQuantity: 1001 }, 'maxQuantity'],
      [{ prices: [{ currency: 'JPY', unitPrice: 100 }] }, 'prices[0].currency'],
      [{ prices: [{ currency: 'SEK', unitPrice: -100 }] }, 'prices[0].unitPrice'],
      [{ prices: [{ currency: 'SEK', unitPrice: 2_000_000 }] }, 'prices[0].unitPrice'],
      [{ reference: 'IN-BODY' }, 'reference'],
    ])('refuses %j with 400 naming %s, writing nothing', async (change, field) => {
      const reference = uniqueReference('BAD');
      const response = await service.http.put<ErrorBody>(`/catalog/products/${reference}`, aProduct(change), OPS);
      expect(response.status).toBe(400);
      expect(response.body.errors?.map((error) => error.field)).toContain(field);
      const { rowCount } = await database.query('SELECT 1 FROM catalog_product WHERE reference = $1', [reference]);
      expect(rowCount).toBe(0);
    });

    it('switches a product off and on, sets and removes prices per currency (PATCH)', async () => {
      const reference = uniqueReference();
      await service.http.put(`/catalog/products/${reference}`, aProduct(), OPS);
      const patched = await service.http.patch(
        `/catalog/products/${reference}`,
        {
          active: false,
          prices: [
            { currency: 'SEK', unitPrice: 119_900 },
            { currency: 'EUR', unitPrice: null },
            { currency: 'GBP', unitPrice: 9999 },
          ],
        },
        OPS,
      );
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        active: false,
        name: 'Trail running shoe',
        prices: [
          { currency: 'GBP', unitPrice: 9999 },
          { currency: 'SEK', unitPrice: 119_900 },
        ],
      });
      expect((await service.http.get(`/catalog/products/${reference}?${SE}`)).status).toBe(404);
      await service.http.patch(`/catalog/products/${reference}`, { active: true }, OPS);
      expect((await service.http.get(`/catalog/products/${reference}?${SE}`)).body).toMatchObject({
        unitPrice: 119_900,
      });

      const unknown = await service.http.patch<ErrorBody>(`/catalog/products/NOPE-${reference}`, { active: true }, OPS);
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('PRODUCT_NOT_FOUND');
      const bad = await service.http.patch<ErrorBody>(
        `/catalog/products/${reference}`,
        { name: 'x', prices: [{ currency: 'SEK', unitPrice: 2_000_000 }] },
        OPS,
      );
      expect(bad.status).toBe(400);
      expect(bad.body.errors?.map((error) => error.field)).toEqual(['name']);
      const overLimit = await service.http.patch<ErrorBody>(
        `/catalog/products/${reference}`,
        { prices: [{ currency: 'SEK', unitPrice: 2_000_000 }] },
        OPS,
      );
      expect(overLimit.status).toBe(400);
      expect((await service.http.get(`/catalog/products/${reference}?${SE}`)).body).toMatchObject({
        unitPrice: 119_900,
      });
    });

    it('sets tax rates per country and tax class (201 new, 200 changed) and refuses bad ones', async () => {
      const taxClass = `class-${Date.now().toString(36)}`;
      const created = await service.http.put(`/catalog/tax-rates/DE/${taxClass}`, { rate: 700 }, OPS);
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ country: 'DE', taxClass, rate: 700 });
      expect((await service.http.put(`/catalog/tax-rates/DE/${taxClass}`, { rate: 1900 }, OPS)).status).toBe(200);
      const { rows } = await database.query('SELECT rate FROM catalog_tax_rate WHERE country = $1 AND tax_class = $2', [
        'DE',
        taxClass,
      ]);
      expect(rows).toEqual([{ rate: 1900 }]);
      for (const [path, body, field] of [
        ['/catalog/tax-rates/JP/standard', { rate: 1000 }, 'country'],
        ['/catalog/tax-rates/se/standard', { rate: 1000 }, 'country'],
        ['/catalog/tax-rates/SE/Not%20A%20Class', { rate: 1000 }, 'taxClass'],
        ['/catalog/tax-rates/SE/standard', { rate: 10_001 }, 'rate'],
        ['/catalog/tax-rates/SE/standard', { rate: 25.5 }, 'rate'],
      ] as const) {
        const response = await service.http.put<ErrorBody>(path, body, OPS);
        expect(response.status).toBe(400);
        expect(response.body.errors?.[0].field).toBe(field);
      }
    });
  });

  describe('import', () => {
    it('imports a JSON array: created, then unchanged, then updated', async () => {
      const [a, b] = [uniqueReference('IMP'), uniqueReference('IMP')];
      const body = [
        { reference: a, ...aProduct() },
        { reference: b, ...aProduct({ type: 'digital', maxQuantity: 1 }) },
      ];
      const first = await service.http.post('/catalog/import', body, OPS);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ created: 2, updated: 0, unchanged: 0 });
      expect((await service.http.post('/catalog/import', body, OPS)).body).toEqual({
        created: 0,
        updated: 0,
        unchanged: 2,
      });
      body[1] = {
        reference: b,
        ...aProduct({ type: 'digital', maxQuantity: 1, prices: [{ currency: 'SEK', unitPrice: 1 }] }),
      };
      expect((await service.http.post('/catalog/import', body, OPS)).body).toEqual({
        created: 0,
        updated: 1,
        unchanged: 1,
      });
      expect((await service.http.get(`/catalog/products/${b}?${SE}`)).body).toMatchObject({
        unitPrice: 1,
        type: 'digital',
      });
    });

    it('imports { products, taxRates }', async () => {
      const reference = uniqueReference('IMP');
      const response = await service.http.post(
        '/catalog/import',
        {
          products: [
            { reference, ...aProduct({ taxClass: 'imported', prices: [{ currency: 'DKK', unitPrice: 5000 }] }) },
          ],
          taxRates: [{ country: 'DK', taxClass: 'imported', rate: 2500 }],
        },
        OPS,
      );
      expect(response.body).toEqual({
        created: 1,
        updated: 0,
        unchanged: 0,
        taxRates: { created: 1, updated: 0, unchanged: 0 },
      });
      expect(
        (await service.http.get(`/catalog/products/${reference}?country=DK&currency=DKK&locale=da-DK`)).body,
      ).toMatchObject({ unitPrice: 5000, taxRate: 2500 });
    });

    it('writes nothing when one row among good ones is bad, naming every bad row and field', async () => {
      const before = await countRows('catalog_product');
      const references = [uniqueReference('ALL'), uniqueReference('ALL'), uniqueReference('ALL')];
      const response = await service.http.post<ErrorBody>(
        '/catalog/import',
        [
          { reference: references[0], ...aProduct() },
          { reference: references[1], ...aProduct({ prices: [{ currency: 'SEK', unitPrice: 'cheap' }] }) },
          { reference: references[2], ...aProduct() },
          { reference: 'DEMO-TRAIL-SHOE', ...aProduct({ name: 'Overwritten?' }) },
        ],
        OPS,
      );
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ row: 1, field: 'prices[0].unitPrice', message: 'must be an integer number' }],
      });
      expect(await countRows('catalog_product')).toBe(before);
      expect((await service.http.get(`/catalog/products/DEMO-TRAIL-SHOE?${SE}`)).body).toMatchObject({
        name: 'Terränglöparsko',
      });
    });

    it('imports CSV, one row per product and currency, with localized names', async () => {
      const reference = uniqueReference('CSV');
      const csv = [
        'reference,name,name:sv,type,taxClass,currency,unitPrice,maxQuantity,active,productUrl',
        `${reference},Headlamp,Pannlampa,physical,standard,SEK,59900,5,true,https://shop.example.com/lamp`,
        `${reference},Headlamp,Pannlampa,physical,standard,EUR,4995,5,true,https://shop.example.com/lamp`,
      ].join('\n');
      const response = await service.http.request('POST', '/catalog/import', csv, {
        ...OPS,
        'content-type': 'text/csv; charset=utf-8',
      });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ created: 1, updated: 0, unchanged: 0 });
      expect((await service.http.get(`/catalog/products/${reference}?${SE}`)).body).toEqual({
        reference,
        name: 'Pannlampa',
        type: 'physical',
        unitPrice: 59_900,
        currency: 'SEK',
        taxRate: 2500,
        imageUrl: null,
        productUrl: 'https://shop.example.com/lamp',
        maxQuantity: 5,
      });
      expect(
        (await service.http.get(`/catalog/products/${reference}?country=DE&currency=EUR&locale=de-DE`)).body,
      ).toMatchObject({
        name: 'Headlamp',
        unitPrice: 4995,
        taxRate: 1900,
      });
    });

    it('writes nothing from a CSV with a bad line, naming the line and the column', async () => {
      const before = await countRows('catalog_product');
      const csv = [
        'reference,name,type,taxClass,currency,unitPrice',
        `${uniqueReference('CSV')},Good,physical,standard,SEK,100`,
        `${uniqueReference('CSV')},Bad,physical,standard,SEK,-5`,
        `${uniqueReference('CSV')},Good too,digital,standard,SEK,100`,
      ].join('\n');
      const response = await service.http.request<ErrorBody>('POST', '/catalog/import', csv, {
        ...OPS,
        'content-type': 'text/csv',
      });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ row: 3, field: 'unitPrice', message: 'must not be less than 0' }]);
      expect(await countRows('catalog_product')).toBe(before);
    });

    it('takes CSV on the import only: other routes still refuse it', async () => {
      const response = await service.http.request<ErrorBody>('POST', '/carts', 'purchaseCountry\nSE\n', {
        'content-type': 'text/csv',
      });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ field: 'content-type', message: 'must be application/json' }]);
      const xml = await service.http.request<ErrorBody>('POST', '/catalog/import', '<products/>', {
        ...OPS,
        'content-type': 'application/xml',
      });
      expect(xml.status).toBe(400);
      expect(xml.body.errors?.[0].field).toBe('content-type');
    });
  });
});
