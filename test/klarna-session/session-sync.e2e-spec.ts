import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { addItem, anItem, createCart, createCartWithSession, type CartBody } from '../factories/cart.factory.js';
import type { HttpClient } from '../support/http.js';
import { RELEASE_AUTHORIZATIONS_JOB } from '../../src/klarna-session/klarna-session.service.js';
import { jobsOf } from '../support/jobs.js';
import { OPS_API_KEY, eventually, startTestApp, type TestApp } from '../support/test-app.js';

const ops = { authorization: `Bearer ${OPS_API_KEY}` };

describe('cart and Klarna session stay in sync', () => {
  let service: TestApp;
  let http: HttpClient;
  let database: pg.Client;

  const calls = (operation?: string) => service.klarnaCalls(operation);
  const callsFor = async (operation: string, sessionId: string) =>
    (await calls(operation)).filter((call) => call.path.includes(sessionId));

  beforeAll(async () => {
    service = await startTestApp();
    ({ http, database } = service);
  });
  afterAll(() => service.close());
  beforeEach(async () => {
    await service.klarna.control('DELETE', '/faults');
  });

  it('touches only Postgres while the cart has no session', async () => {
    const before = (await calls()).length;
    const cart = await createCart(http);
    await addItem(http, cart.id);
    const read = await http.get<CartBody>(`/carts/${cart.id}`);
    expect(read.body.klarna).toBeNull();
    expect((await calls()).length).toBe(before);
  });

  it('creates the session with the cart as Klarna order lines and returns the live one after', async () => {
    const cart = await createCart(http);
    const reference = `SHOE-${Date.now()}`;
    await addItem(http, cart.id, { quantity: 2, unitPrice: 11_250, reference });
    const created = await http.post<{ sessionId: string; clientToken: string; cartVersion: number; expiresAt: string }>(
      `/carts/${cart.id}/klarna-session`,
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ cartVersion: 2, paymentMethodCategories: expect.any(Array) });
    expect(new Date(created.body.expiresAt).getTime() - Date.now()).toBeGreaterThan(47.9 * 3600_000);

    const [createCall] = (await calls('createSession')).slice(-1);
    expect(createCall.body).toMatchObject({
      purchase_country: 'SE',
      purchase_currency: 'SEK',
      locale: 'sv-SE',
      order_amount: 22_500,
      order_tax_amount: 4500,
      order_lines: [
        {
          type: 'physical',
          reference,
          quantity: 2,
          unit_price: 11_250,
          tax_rate: 2500,
          total_amount: 22_500,
          total_discount_amount: 0,
          total_tax_amount: 4500,
        },
      ],
    });
    expect(createCall.headers['user-agent']).toMatch(/^klarna-checkout-bff\/0\.1\.0 /);
    const authorizationUrl = (createCall.body.merchant_urls as { authorization: string }).authorization;
    expect(authorizationUrl).toMatch(new RegExp(`/webhooks/klarna/authorization\\?cart_id=${cart.id}&sig=[\\w-]+$`));

    const again = await http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
    expect(again.status).toBe(200);
    expect(again.body.sessionId).toBe(created.body.sessionId);
    const read = await http.get<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
    expect(read.body.sessionId).toBe(created.body.sessionId);
    const cartRead = await http.get<CartBody>(`/carts/${cart.id}`);
    expect(cartRead.body).toMatchObject({
      status: 'checkout',
      klarna: { sessionId: created.body.sessionId, syncedVersion: 2, inSync: true, action: 'none', syncError: null },
    });
  });

  it('refuses a session for an empty cart', async () => {
    const cart = await createCart(http);
    const response = await http.post(`/carts/${cart.id}/klarna-session`);
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: 'CART_EMPTY' });
  });

  it('keeps the session at the last non-empty cart when the cart is emptied, reporting CART_EMPTY', async () => {
    const { cart, session } = await createCartWithSession(http);
    const before = await callsFor('updateSession', session.sessionId);
    const emptied = await http.delete<CartBody>(`/carts/${cart.id}/items/${cart.items[0].id}`);
    expect(emptied.status).toBe(200);
    expect(emptied.body.items).toEqual([]);
    expect(emptied.body.klarna).toMatchObject({ inSync: false, syncError: { errorCode: 'CART_EMPTY' } });
    expect(await callsFor('updateSession', session.sessionId)).toHaveLength(before.length);
    const atKlarna = await service.klarna.control<{ data: { order_amount: number } }>(
      'GET',
      `/sessions/${session.sessionId}`,
    );
    expect(atKlarna.body.data.order_amount).toBe(cart.orderAmount);
  });

  it('pushes every change to the session once, within the request', async () => {
    const { cart, session } = await createCartWithSession(http);
    const added = await addItem(http, cart.id, { unitPrice: 4900, type: 'digital', name: 'Training plan' });
    expect(added.klarna).toMatchObject({ inSync: true, action: 'load', syncedVersion: added.version, syncError: null });
    const updates = await callsFor('updateSession', session.sessionId);
    expect(updates).toHaveLength(1);
    expect(updates[0].status).toBe(204);
    expect(updates[0].body).toMatchObject({ order_amount: added.orderAmount, order_tax_amount: added.orderTaxAmount });
    expect(updates[0].body.order_lines).toHaveLength(2);

    const removed = await http.delete<CartBody>(`/carts/${cart.id}/items/${added.items[1].id}`);
    expect(removed.body.klarna).toMatchObject({ action: 'load', inSync: true });
    expect(await callsFor('updateSession', session.sessionId)).toHaveLength(2);
  });

  it('sends nothing when a change leaves Klarna’s payload identical', async () => {
    const { cart, session } = await createCartWithSession(http, [{ quantity: 2 }]);
    const unchanged = await http.patch<CartBody>(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity: 2 });
    expect(unchanged.status).toBe(200);
    expect(unchanged.body.klarna).toMatchObject({
      action: 'none',
      inSync: true,
      syncedVersion: unchanged.body.version,
    });
    expect(await callsFor('updateSession', session.sessionId)).toHaveLength(0);
  });

  it('pushes customer data given after consent', async () => {
    const { cart, session } = await createCartWithSession(http);
    await http.put(`/carts/${cart.id}/customer`, {
      billingAddress: {
        givenName: 'Testperson',
        familyName: 'Approved',
        email: 'shopper@example.com',
        postalCode: '12345',
        country: 'SE',
      },
    });
    const [update] = await callsFor('updateSession', session.sessionId);
    expect(update.body.billing_address).toEqual({
      given_name: 'Testperson',
      family_name: 'Approved',
      email: 'shopper@example.com',
      postal_code: '12345',
      country: 'SE',
    });
  });

  it('creates a new session when Klarna answers NOT_FOUND (48 hours passed at Klarna)', async () => {
    const { cart, session } = await createCartWithSession(http);
    await service.klarna.control('POST', '/clock', { advanceMs: 49 * 3600_000 });
    try {
      const changed = await addItem(http, cart.id);
      expect(changed.klarna).toMatchObject({ action: 'init', inSync: true });
      expect(changed.klarna?.sessionId).not.toBe(session.sessionId);
      const read = await http.get<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
      expect(read.body.sessionId).toBe(changed.klarna?.sessionId);
    } finally {
      await service.klarna.control('POST', '/clock', { advanceMs: -49 * 3600_000 });
    }
  });

  it('creates a new session, without trying the old one, once our record says it expired', async () => {
    const { cart, session } = await createCartWithSession(http);
    await database.query(`UPDATE klarna_session SET expires_at = now() - interval '1 minute' WHERE cart_id = $1`, [
      cart.id,
    ]);
    const stale = await http.get<CartBody>(`/carts/${cart.id}`);
    expect(stale.body.klarna).toMatchObject({ inSync: false });
    const changed = await addItem(http, cart.id);
    expect(changed.klarna).toMatchObject({ action: 'init', inSync: true });
    expect(await callsFor('updateSession', session.sessionId)).toHaveLength(0);
  });

  it('creates a new session when country and currency change', async () => {
    const { cart, session } = await createCartWithSession(http);
    // The product is sold in Norway too.
    await http.put('/catalog/tax-rates/NO/rate-2500', { rate: 2500 }, ops);
    await http.patch(
      `/catalog/products/${cart.items[0].reference}`,
      { prices: [{ currency: 'NOK', unitPrice: 12_000 }] },
      ops,
    );
    const moved = await http.patch<CartBody>(`/carts/${cart.id}`, {
      purchaseCountry: 'NO',
      purchaseCurrency: 'NOK',
      locale: 'nb-NO',
    });
    expect(moved.status).toBe(200);
    expect(moved.body.klarna).toMatchObject({ action: 'init', inSync: true });
    expect(moved.body.klarna?.sessionId).not.toBe(session.sessionId);
    const [created] = (await calls('createSession')).slice(-1);
    expect(created.body).toMatchObject({ purchase_country: 'NO', purchase_currency: 'NOK', locale: 'nb-NO' });
    expect(await callsFor('updateSession', session.sessionId)).toHaveLength(0);
  });

  it('marks the authorization stale and asks for reauthorization when the cart changes after it', async () => {
    const { cart, session } = await createCartWithSession(http);
    const token = await service.klarna.authorize(session.sessionId);
    const held = await http.post(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: token,
      finalize: false,
    });
    expect(held.status).toBe(201);
    const changed = await addItem(http, cart.id);
    expect(changed.klarna).toMatchObject({ action: 'reauthorize', inSync: true });
    const read = await http.get<CartBody>(`/carts/${cart.id}`);
    expect(read.body.klarna?.action).toBe('reauthorize');
    const order = await http.post(`/carts/${cart.id}/order`);
    expect(order.status).toBe(409);
    expect(order.body).toMatchObject({ code: 'REAUTHORIZATION_REQUIRED' });
  });

  it('releases the authorizations of a session a new one replaced; a first session has none to release', async () => {
    const { cart, session } = await createCartWithSession(http);
    const releasesOfCart = async () =>
      (await jobsOf(service, RELEASE_AUTHORIZATIONS_JOB)).filter((job) => job.data.cartId === cart.id);
    expect(await releasesOfCart()).toEqual([]);
    const token = await service.klarna.authorize(session.sessionId);
    const held = await http.post(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: token,
      finalize: false,
    });
    expect(held.status).toBe(201);
    const replaced = await http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`, {
      intent: 'buy_and_tokenize',
    });
    expect(replaced.status).toBe(201);
    expect(replaced.body.sessionId).not.toBe(session.sessionId);
    await eventually(async () =>
      (await calls('cancelAuthorization')).some((call) => call.path.endsWith(`/authorizations/${token}`))
        ? true
        : undefined,
    );
  });

  it('keeps the change when Klarna fails, and a background retry brings the session up to date', async () => {
    const { cart, session } = await createCartWithSession(http);
    await service.klarna.control('POST', '/faults', { operation: 'updateSession', failNext: 2, errorStatus: 503 });
    const changed = await http.post<CartBody>(
      `/carts/${cart.id}/items`,
      await anItem(http, { name: 'Kept despite Klarna' }),
    );
    expect(changed.status).toBe(201);
    expect(changed.body.items).toHaveLength(2);
    expect(changed.body.klarna).toMatchObject({
      inSync: false,
      syncedVersion: cart.version,
      syncError: { errorCode: 'TEMPORARILY_UNAVAILABLE', correlationId: expect.any(String) },
    });
    const synced = await eventually(async () => {
      const read = await http.get<CartBody>(`/carts/${cart.id}`);
      return read.body.klarna?.inSync ? read.body : undefined;
    }, 20_000);
    expect(synced.klarna).toMatchObject({ syncedVersion: changed.body.version, syncError: null });
    const updates = await callsFor('updateSession', session.sessionId);
    expect(updates.at(-1)).toMatchObject({ status: 204, body: { order_amount: changed.body.orderAmount } });
  });

  it('keeps the change when Klarna is slower than KLARNA_TIMEOUT_MS', async () => {
    const { cart } = await createCartWithSession(http);
    await service.klarna.control('POST', '/faults', { operation: 'updateSession', latencyMs: 1500 });
    const changed = await http.post<CartBody>(`/carts/${cart.id}/items`, await anItem(http));
    expect(changed.status).toBe(201);
    expect(changed.body.klarna).toMatchObject({ inSync: false, syncError: { errorCode: 'TIMEOUT' } });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(
      /klarna_request_duration_seconds_count\{operation="updateSession",outcome="timeout"\} [1-9]/,
    );
  });

  it('keeps the change and reports Klarna’s error and correlation id on a 4xx', async () => {
    const { cart, session } = await createCartWithSession(http);
    await service.klarna.control('POST', '/faults', {
      operation: 'updateSession',
      pathContains: session.sessionId,
      failNext: 1,
      errorStatus: 400,
    });
    const changed = await http.post<CartBody>(`/carts/${cart.id}/items`, await anItem(http));
    expect(changed.status).toBe(201);
    expect(changed.body.klarna).toMatchObject({
      inSync: false,
      syncError: {
        errorCode: 'BAD_VALUE',
        errorMessages: ['Simulated fault'],
        correlationId: expect.stringMatching(/^[\w-]{8,}$/),
      },
    });
    // This cart's call: a retry job of an earlier test's cart may call updateSession in between.
    const [lastCall] = (await callsFor('updateSession', session.sessionId)).slice(-1);
    expect(changed.body.klarna?.syncError?.correlationId).toBe(
      (lastCall as unknown as { correlation_id: string }).correlation_id,
    );
  });

  it('converges: after 20 concurrent changes Klarna holds exactly the final cart (those beyond the queue are 429)', async () => {
    const { cart, session } = await createCartWithSession(http);
    const itemId = cart.items[0].id;
    const lines = await Promise.all(
      Array.from({ length: 20 }, (_, index) => anItem(http, { unitPrice: 1000 + index })),
    );
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        index % 2 === 0
          ? http.patch<CartBody>(`/carts/${cart.id}/items/${itemId}`, { quantity: index + 2 })
          : http.post<CartBody>(`/carts/${cart.id}/items`, lines[index]),
      ),
    );
    // One runs and CART_QUEUE_DEPTH (8) wait; the storefront would retry the rest after Retry-After.
    const accepted = answers.filter((answer) => answer.status === 200 || answer.status === 201);
    const busy = answers.filter((answer) => answer.status === 429);
    expect(accepted.length + busy.length).toBe(20);
    expect(accepted.length).toBeGreaterThanOrEqual(9);
    for (const answer of busy) {
      expect(answer.body).toMatchObject({ code: 'CART_BUSY' });
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    const final = (await http.get<CartBody>(`/carts/${cart.id}`)).body;
    expect(final.version).toBe(cart.version + accepted.length);
    expect(final.klarna).toMatchObject({ inSync: true, syncedVersion: final.version });
    const updates = await callsFor('updateSession', session.sessionId);
    const last = updates.at(-1)!;
    expect(last.body.order_amount).toBe(final.orderAmount);
    expect(last.body.order_tax_amount).toBe(final.orderTaxAmount);
    expect(last.body.order_lines?.map((line) => [line.quantity, line.unit_price])).toEqual(
      final.items.map((item) => [item.quantity, item.unitPrice]),
    );
    const atKlarna = await service.klarna.klarna<{ order_amount: number }>(
      'GET',
      `/payments/v1/sessions/${session.sessionId}`,
    );
    expect(atKlarna.body.order_amount).toBe(final.orderAmount);
  });
});

describe('when Klarna keeps failing', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp({
      KLARNA_CIRCUIT_MIN_CALLS: '2',
      KLARNA_CIRCUIT_COOLDOWN_MS: '60000',
      KLARNA_TIMEOUT_MS: '300',
    });
  });
  afterAll(() => service.close());

  it('stops waiting for Klarna after repeated timeouts, keeping changes at once (circuit breaker)', async () => {
    const { cart, session } = await createCartWithSession(service.http);
    await service.klarna.control('POST', '/faults', { operation: 'updateSession', timeout: true });
    // The retry job's pushes count too, so the circuit may open before the second change of the storefront.
    const codes: (string | undefined)[] = [];
    for (let quantity = 2; !codes.includes('KLARNA_CIRCUIT_OPEN') && quantity < 8; quantity++) {
      const slow = await service.http.patch<CartBody>(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity });
      codes.push(slow.body.klarna?.syncError?.errorCode);
    }
    expect(codes[0]).toBe('TIMEOUT');
    expect(codes.at(-1)).toBe('KLARNA_CIRCUIT_OPEN');
    const callsBefore = (await service.klarnaCalls('updateSession')).filter((call) =>
      call.path.includes(session.sessionId),
    );
    const fast = await service.http.patch<CartBody>(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity: 9 });
    expect(fast.status).toBe(200);
    expect(fast.body.items[0].quantity).toBe(9);
    expect(fast.body.klarna).toMatchObject({ inSync: false, syncError: { errorCode: 'KLARNA_CIRCUIT_OPEN' } });
    const callsAfter = (await service.klarnaCalls('updateSession')).filter((call) =>
      call.path.includes(session.sessionId),
    );
    expect(callsAfter).toHaveLength(callsBefore.length);
  });
});

describe('when Klarna answers again after the circuit opened', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp({
      KLARNA_CIRCUIT_MIN_CALLS: '2',
      KLARNA_CIRCUIT_COOLDOWN_MS: '1500',
      KLARNA_RETRY_MAX_DELAY_MS: '1000',
    });
  });
  afterAll(() => service.close());

  it('pushes changes to Klarna again past the cool-down, and Klarna ends with the latest cart', async () => {
    const { cart, session } = await createCartWithSession(service.http);
    const itemPath = `/carts/${cart.id}/items/${cart.items[0].id}`;
    await service.klarna.control('POST', '/faults', { operation: 'updateSession', errorRate: 1, errorStatus: 503 });
    let quantity = 1;
    await eventually(async () => {
      const change = await service.http.patch<CartBody>(itemPath, { quantity: ++quantity });
      return change.body.klarna?.syncError?.errorCode === 'KLARNA_CIRCUIT_OPEN' ? true : undefined;
    });
    await service.klarna.control('DELETE', '/faults');
    // Polled, not slept: each change either still meets the open circuit or, past the cool-down, reaches Klarna.
    const synced = await eventually(async () => {
      const change = await service.http.patch<CartBody>(itemPath, { quantity: (quantity % 9) + 1 });
      quantity = (quantity % 9) + 1;
      return change.body.klarna?.inSync ? change.body : undefined;
    });
    expect(synced.klarna).toMatchObject({ inSync: true, action: 'load', syncError: null });
    const atKlarna = await service.klarna.control<{ data: { order_amount: number } }>(
      'GET',
      `/sessions/${session.sessionId}`,
    );
    expect(atKlarna.body.data.order_amount).toBe(synced.orderAmount);
  });
});
