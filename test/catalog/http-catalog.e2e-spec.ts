import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Catalog } from '../../src/catalog/catalog.js';
import { freePort } from '../../src/database/embedded-database.js';
import { eventually, startTestApp, type TestApp } from '../support/test-app.js';
import { aProduct, OPS, uniqueReference } from './catalog-test-kit.js';
import { startStubCatalog, type StubCatalog } from './stub-catalog.js';

const TOKEN = 'shop-catalog-token-123';
const SE = { country: 'SE', currency: 'SEK', locale: 'sv-SE' };
const SE_QUERY = 'country=SE&currency=SEK&locale=sv-SE';

interface ErrorBody {
  code: string;
  message: string;
}

const shoe = (overrides: Record<string, unknown> = {}) => ({
  name: 'Terränglöparsko',
  type: 'physical',
  unitPrice: 129_900,
  taxRate: 2500,
  imageUrl: 'https://shop.example.com/shoe.jpg',
  maxQuantity: 4,
  ...overrides,
});

describe("the shop's own catalog over HTTP (CATALOG_URL)", () => {
  let stub: StubCatalog;
  let service: TestApp;
  let catalog: Catalog;

  beforeAll(async () => {
    stub = await startStubCatalog(TOKEN);
    service = await startTestApp({
      CATALOG_URL: stub.url,
      CATALOG_TOKEN: TOKEN,
      CATALOG_TIMEOUT_MS: '300',
      CATALOG_CACHE_MS: '600000',
    });
    // The same object the cart will be handed: pricing a whole cart is one call.
    catalog = service.app.get(Catalog);
  });
  afterAll(async () => {
    await service.close();
    await stub.close();
  });
  beforeEach(() => {
    stub.behaviour = 'answer';
  });

  it('is the catalog chosen at start-up', () => {
    expect(catalog.source).toBe('http');
  });

  it('prices a product from the shop, sending the bearer token and the market', async () => {
    const reference = uniqueReference();
    stub.products.set(reference, shoe());
    const response = await service.http.get(`/catalog/products/${encodeURIComponent(reference)}?${SE_QUERY}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      reference,
      name: 'Terränglöparsko',
      type: 'physical',
      unitPrice: 129_900,
      currency: 'SEK',
      taxRate: 2500,
      imageUrl: 'https://shop.example.com/shoe.jpg',
      productUrl: null,
      maxQuantity: 4,
    });
    expect(stub.requests.at(-1)).toEqual({
      path: '/api/products',
      query: { references: reference, ...SE },
      authorization: `Bearer ${TOKEN}`,
    });
  });

  it('prices a whole cart in one request, tells unknown from not sold, and serves repeats from its cache', async () => {
    const [a, b, unsold, unknown] = [uniqueReference(), uniqueReference(), uniqueReference(), uniqueReference()];
    stub.products.set(a, shoe());
    stub.products.set(b, shoe({ type: 'digital', unitPrice: 29_900, maxQuantity: undefined }));
    stub.notSoldInMarket.add(unsold);
    const before = stub.requests.length;
    const items = await catalog.priceItems(SE, [a, b, unsold, unknown, a]);
    expect(stub.requests.length - before).toBe(1);
    expect(stub.requests.at(-1)?.query.references.split(',').sort()).toEqual([a, b, unsold, unknown].sort());
    expect(items.get(a)).toMatchObject({ notSoldInMarket: false, unitPrice: 129_900, taxRate: 2500 });
    expect(items.get(b)).toMatchObject({ notSoldInMarket: false, type: 'digital', maxQuantity: null });
    expect(items.get(unsold)).toEqual({ notSoldInMarket: true, reference: unsold });
    expect(items.has(unknown)).toBe(false);

    const again = await catalog.priceItems(SE, [b, a, unknown]);
    expect(stub.requests.length - before).toBe(1);
    expect(again.get(a)).toEqual(items.get(a));
    // Another market is another question.
    await catalog.priceItems({ country: 'FI', currency: 'EUR', locale: 'sv-FI' }, [a]);
    expect(stub.requests.length - before).toBe(2);
  });

  it("takes the shop's taxRate as the sales-tax rate in the US (net prices, no tax on the line)", async () => {
    const reference = uniqueReference();
    stub.products.set(reference, shoe({ unitPrice: 12_900, taxRate: 888 }));
    const response = await service.http.get(`/catalog/products/${reference}?country=US&currency=USD&locale=en-US`);
    expect(response.body).toMatchObject({ unitPrice: 12_900, taxRate: 0, salesTaxRate: 888 });
  });

  it.each([
    ['hang', 'did not answer within 300 ms'],
    ['garbage', 'unreadable'],
    ['invalid-product', 'unitPrice'],
    ['server-error', 'answered HTTP 500'],
  ] as const)('answers 503 CATALOG_UNAVAILABLE when the shop catalog does %s', async (behaviour, message) => {
    stub.behaviour = behaviour;
    const reference = uniqueReference();
    stub.products.set(reference, shoe());
    const response = await service.http.get<ErrorBody>(`/catalog/products/${reference}?${SE_QUERY}`);
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('CATALOG_UNAVAILABLE');
    expect(response.body.message).toContain(message);
    // Nothing of a failed answer is cached: the shop's answer is used once it is back.
    stub.behaviour = 'answer';
    expect((await service.http.get(`/catalog/products/${reference}?${SE_QUERY}`)).status).toBe(200);
  });

  it('gives up on a hanging catalog by itself (the request is closed by the service, not the stub)', async () => {
    stub.behaviour = 'hang';
    await expect(catalog.priceItems(SE, [uniqueReference()])).rejects.toMatchObject({ code: 'CATALOG_UNAVAILABLE' });
    await eventually(async () => (stub.hanging === 0 ? true : undefined));
  });

  it('answers 503 when the token is refused or nothing listens at CATALOG_URL', async () => {
    const wrongToken = await startTestApp({
      CATALOG_URL: stub.url,
      CATALOG_TOKEN: 'not-the-token',
      CATALOG_CACHE_MS: '0',
    });
    try {
      const response = await wrongToken.http.get<ErrorBody>(`/catalog/products/ANY?${SE_QUERY}`);
      expect(response.status).toBe(503);
      expect(response.body.message).toContain('HTTP 401');
    } finally {
      await wrongToken.close();
    }
    const nobody = await startTestApp({ CATALOG_URL: `http://127.0.0.1:${await freePort()}` });
    try {
      const response = await nobody.http.get<ErrorBody>(`/catalog/products/ANY?${SE_QUERY}`);
      expect(response.status).toBe(503);
      expect(response.body.code).toBe('CATALOG_UNAVAILABLE');
    } finally {
      await nobody.close();
    }
  });

  it('neither lists nor manages the catalog here: the shop does (501 CATALOG_EXTERNAL)', async () => {
    const listing = await service.http.get<ErrorBody>(`/catalog/products?${SE_QUERY}`);
    expect(listing.status).toBe(501);
    expect(listing.body.code).toBe('CATALOG_EXTERNAL');
    for (const response of [
      await service.http.put<ErrorBody>('/catalog/products/SKU-1', aProduct(), OPS),
      await service.http.patch<ErrorBody>('/catalog/products/SKU-1', { active: false }, OPS),
      await service.http.post<ErrorBody>('/catalog/import', [], OPS),
    ]) {
      expect(response.status).toBe(501);
      expect(response.body.code).toBe('CATALOG_EXTERNAL');
    }
  });

  it('keeps the tax table manageable: shipping methods are taxed from it (issue 13)', async () => {
    const taxRate = await service.http.put('/catalog/tax-rates/SE/shipping', { rate: 2500 }, OPS);
    expect([200, 201]).toContain(taxRate.status);
    const method = `ship-${Date.now().toString(36)}`;
    await service.http.put(
      `/shipping-methods/${method}`,
      {
        name: 'Home',
        countries: ['SE'],
        prices: [{ currency: 'SEK', amount: 4900 }],
        taxClass: 'shipping',
        active: true,
      },
      OPS,
    );
    const cart = await service.http.post<{ id: string }>('/carts', {
      purchaseCountry: 'SE',
      purchaseCurrency: 'SEK',
      locale: 'sv-SE',
    });
    const options = await service.http.get<{ options: { methodId: string; taxRate: number }[] }>(
      `/carts/${cart.body.id}/shipping-options`,
    );
    expect(options.body.options).toContainEqual(expect.objectContaining({ methodId: method, taxRate: 2500 }));
  });

  it('still checks the market before asking the shop', async () => {
    const before = stub.requests.length;
    const response = await service.http.get<ErrorBody>('/catalog/products/SKU-1?country=SE&currency=EUR&locale=sv-SE');
    expect(response.status).toBe(400);
    expect(stub.requests.length).toBe(before);
  });
});
