import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { aProduct, createCart, type CartBody } from '../factories/cart.factory.js';
import { type Placement } from '../factories/checkout.factory.js';
import { startStubCatalog, type StubCatalog } from '../catalog/stub-catalog.js';
import { OPS_API_KEY, eventually, startTestApp, type TestApp } from '../support/test-app.js';

const ops = { authorization: `Bearer ${OPS_API_KEY}` };

/** The trust boundary: the browser says what and how many; the catalog says how much, up to the order. */
describe('a server-priced checkout', () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startTestApp({ AUTHORIZATION_CALLBACK_GRACE_MS: '600000' });
  });
  afterAll(() => service.close());

  const setPrice = (reference: string, unitPrice: number) =>
    service.http.patch(`/catalog/products/${reference}`, { prices: [{ currency: 'SEK', unitPrice }] }, ops);

  /** A cart with one line of a fresh product at `unitPrice`, a session, and the shopper's authorization. */
  async function authorizedCartAt(unitPrice: number) {
    const { http, klarna } = service;
    const reference = await aProduct(http, { unitPrice });
    const cart = await createCart(http);
    await http.post(`/carts/${cart.id}/items`, { reference, quantity: 2 });
    const session = await http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
    const token = await klarna.authorize(session.body.sessionId);
    return { cart, reference, sessionId: session.body.sessionId, token };
  }

  it('refuses the shopper’s own price: an item at unitPrice 1 never reaches Klarna', async () => {
    const reference = await aProduct(service.http, { unitPrice: 129_900 });
    const cart = await createCart(service.http);
    const attack = await service.http.post(`/carts/${cart.id}/items`, { reference, quantity: 1, unitPrice: 1 });
    expect(attack.status).toBe(400);
    expect(attack.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'unitPrice' }] });
    const honest = await service.http.post<CartBody>(`/carts/${cart.id}/items`, { reference, quantity: 1 });
    expect(honest.body).toMatchObject({ orderAmount: 129_900 });
  });

  it('answers CART_CHANGED when the price moved after the authorization, then places the new price', async () => {
    const { http, klarna } = service;
    const { cart, reference, sessionId, token } = await authorizedCartAt(10_000);
    await setPrice(reference, 12_000);

    const refused = await http.post<{ code: string; details: { changes: unknown[] } }>(
      `/carts/${cart.id}/klarna-session/authorizations`,
      { authorizationToken: token },
    );
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('CART_CHANGED');
    expect(refused.body.details.changes).toEqual([
      expect.objectContaining({ code: 'PRICE_CHANGED', reference, unitPriceBefore: 10_000, unitPrice: 12_000 }),
    ]);
    expect((await service.klarnaCalls('createOrder')).filter((call) => call.path.includes(token))).toHaveLength(0);
    // The cart took the new price and Klarna's session was told, so the widget shows the real total.
    const repriced = (await http.get<CartBody>(`/carts/${cart.id}`)).body;
    expect(repriced).toMatchObject({ orderAmount: 24_000, klarna: { inSync: true, action: 'reauthorize' } });
    const atKlarna = await klarna.control<{ data: { order_amount: number } }>('GET', `/sessions/${sessionId}`);
    expect(atKlarna.body.data.order_amount).toBe(24_000);
    // The refused token is released.
    await eventually(async () =>
      (await service.klarnaCalls('cancelAuthorization')).some((call) => call.path.endsWith(token)) ? true : undefined,
    );

    const again = await klarna.authorize(sessionId);
    const placed = await http.post<Placement>(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: again,
    });
    expect(placed.status).toBe(201);
    const [created] = (await service.klarnaCalls('createOrder')).filter((call) => call.path.includes(again));
    expect(created.body).toMatchObject({ order_amount: 24_000 });
    expect((created.body.order_lines as { unit_price: number }[])[0].unit_price).toBe(12_000);
  });

  it('pushes a cart re-priced by POST /carts/:id/klarna-session to its session once, and answers that session', async () => {
    const { http, klarna } = service;
    const reference = await aProduct(http, { unitPrice: 10_000 });
    const cart = await createCart(http);
    await http.post(`/carts/${cart.id}/items`, { reference, quantity: 1 });
    const first = await http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
    await setPrice(reference, 11_000);

    const again = await http.post<{ sessionId: string; cartVersion: number }>(`/carts/${cart.id}/klarna-session`);
    expect(again.status).toBe(200);
    expect(again.body.sessionId).toBe(first.body.sessionId);
    const updates = (await service.klarnaCalls('updateSession')).filter((call) =>
      call.path.includes(first.body.sessionId),
    );
    expect(updates.map((call) => call.body.order_amount)).toEqual([11_000]);
    const atKlarna = await klarna.control<{ data: { order_amount: number } }>(
      'GET',
      `/sessions/${first.body.sessionId}`,
    );
    expect(atKlarna.body.data.order_amount).toBe(11_000);
    expect(again.body.cartVersion).toBe((await http.get<CartBody>(`/carts/${cart.id}`)).body.version);
  });

  it('answers the session that replaced an expired one while POST /carts/:id/klarna-session pushed a re-priced cart', async () => {
    const { http, klarna } = service;
    const reference = await aProduct(http, { unitPrice: 10_000 });
    const cart = await createCart(http);
    await http.post(`/carts/${cart.id}/items`, { reference, quantity: 1 });
    const first = await http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
    await setPrice(reference, 11_000);
    await klarna.control('POST', '/clock', { advanceMs: 49 * 3600_000 });
    try {
      const again = await http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
      expect(again.body.sessionId).not.toBe(first.body.sessionId);
      // The push made the new session; this request found it live and made no other.
      expect(again.status).toBe(200);
      const read = await http.get<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
      expect(read.body.sessionId).toBe(again.body.sessionId);
    } finally {
      await klarna.control('POST', '/clock', { advanceMs: -49 * 3600_000 });
    }
  });

  it('removes a product switched off before the order, and refuses with CART_CHANGED', async () => {
    const { http } = service;
    const { cart, token } = await authorizedCartAt(5000);
    const extra = await aProduct(http, { unitPrice: 3000 });
    await http.patch(`/catalog/products/${extra}`, { active: true }, ops);
    const items = (await http.get<CartBody>(`/carts/${cart.id}`)).body.items;
    await http.patch(`/catalog/products/${items[0].reference}`, { active: false }, ops);
    const refused = await http.post<{ code: string; details: { changes: unknown[] } }>(
      `/carts/${cart.id}/klarna-session/authorizations`,
      { authorizationToken: token },
    );
    expect(refused.status).toBe(409);
    expect(refused.body.details.changes).toEqual([
      expect.objectContaining({ code: 'ITEM_REMOVED', reference: items[0].reference, reason: 'unknown_product' }),
    ]);
    expect((await http.get<CartBody>(`/carts/${cart.id}`)).body.items).toEqual([]);
  });
});

describe('a cart priced by the shop’s own catalog (CATALOG_URL)', () => {
  let stub: StubCatalog;
  let service: TestApp;
  const TOKEN = 'cart-catalog-token';

  beforeAll(async () => {
    stub = await startStubCatalog(TOKEN);
    service = await startTestApp({
      CATALOG_URL: stub.url,
      CATALOG_TOKEN: TOKEN,
      CATALOG_TIMEOUT_MS: '300',
      CATALOG_CACHE_MS: '0',
    });
  });
  afterAll(async () => {
    await service.close();
    await stub.close();
  });
  beforeEach(() => {
    stub.behaviour = 'answer';
  });

  it('prices every line from the shop, and writes nothing when the shop does not answer in time', async () => {
    const reference = `SHOP-${Date.now()}`;
    stub.products.set(reference, { name: 'Shop shoe', type: 'physical', unitPrice: 99_900, taxRate: 2500 });
    const cart = await createCart(service.http);
    const added = await service.http.post<CartBody>(`/carts/${cart.id}/items`, { reference, quantity: 1 });
    expect(added.status).toBe(201);
    expect(added.body.items[0]).toMatchObject({ name: 'Shop shoe', unitPrice: 99_900, taxRate: 2500 });

    stub.behaviour = 'hang';
    const slow = await service.http.patch(`/carts/${cart.id}/items/${added.body.items[0].id}`, { quantity: 3 });
    expect(slow.status).toBe(503);
    expect(slow.body).toMatchObject({ code: 'CATALOG_UNAVAILABLE' });
    expect((await service.http.get<CartBody>(`/carts/${cart.id}`)).body).toMatchObject({
      version: added.body.version,
      items: [expect.objectContaining({ quantity: 1 })],
    });
  });
});
