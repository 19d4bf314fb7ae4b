import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { addItem, anItem, createCart, createCartWithSession, type CartBody } from '../factories/cart.factory.js';
import type { HttpClient } from '../support/http.js';
import { jobsOf } from '../support/jobs.js';
import { RELEASE_AUTHORIZATIONS_JOB } from '../../src/klarna-session/klarna-session.service.js';
import { OPS_API_KEY, eventually, startTestApp, type TestApp } from '../support/test-app.js';

interface Placement {
  orderId: string;
  klarnaOrderId: string | null;
  status: string;
  fraudStatus: string | null;
  redirectUrl: string | null;
}
const ops = { authorization: `Bearer ${OPS_API_KEY}` };

describe('orders: each authorization becomes exactly one Klarna order', () => {
  let service: TestApp;
  let http: HttpClient;
  let database: pg.Client;

  const calls = (operation: string) => service.klarnaCalls(operation);
  const ordersOfCart = async (cartId: string) =>
    (await database.query('SELECT id, status, klarna_order_id FROM "order" WHERE cart_id = $1', [cartId])).rows;
  /** A refused placement is kept, terminal: failed with Klarna's error code and correlation id. */
  const failedPlacementOf = async (cartId: string) => {
    const { rows } = await database.query(
      'SELECT status, failure_status, failure_code, last_correlation_id, klarna_order_id FROM "order" WHERE cart_id = $1',
      [cartId],
    );
    expect(rows).toHaveLength(1);
    return rows[0] as { status: string; failure_status: number; failure_code: string; last_correlation_id: string };
  };

  /** A cart with a session whose shopper authorized it in the widget. */
  async function authorizedCart(items: Record<string, unknown>[] = [{}], outcome = 'approved') {
    const { cart, session } = await createCartWithSession(http, items);
    const answer = await service.klarna.control<{ authorization_token: string }>(
      'POST',
      `/sessions/${session.sessionId}/authorize`,
      { outcome },
    );
    return { cart, session, token: answer.body.authorization_token };
  }

  async function placedOrder(outcome = 'approved') {
    const { cart, session, token } = await authorizedCart([{}], outcome);
    const placed = await http.post<Placement>(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: token,
    });
    expect(placed.status).toBe(201);
    return { cart, session, token, order: placed.body };
  }

  beforeAll(async () => {
    // A long grace keeps the callback out of the storefront tests; the callback tests use their own instance.
    service = await startTestApp({ AUTHORIZATION_CALLBACK_GRACE_MS: '600000' });
    ({ http, database } = service);
  });
  afterAll(() => service.close());
  beforeEach(async () => {
    await service.klarna.control('DELETE', '/faults');
    await service.klarna.control('DELETE', '/callback-faults');
  });

  it('places the order from the storefront with the cart from our database', async () => {
    const { cart, token } = await authorizedCart([{ quantity: 2, unitPrice: 10_000 }]);
    const placed = await http.post<Placement>(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: token,
    });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ status: 'placed', fraudStatus: 'ACCEPTED', klarnaOrderId: expect.any(String) });

    const [createOrder] = (await calls('createOrder')).filter((call) => call.path.includes(token));
    expect(createOrder.body).toMatchObject({
      order_amount: 20_000,
      order_tax_amount: 4000,
      merchant_reference1: placed.body.orderId,
    });
    const urls = createOrder.body.merchant_urls as { push: string; notification: string };
    expect(urls.push).toContain(`/webhooks/klarna/push?cart_id=${cart.id}&sig=`);
    expect(urls.notification).toContain(`/webhooks/klarna/notification?cart_id=${cart.id}&sig=`);

    const order = await http.get(`/orders/${placed.body.orderId}`);
    expect(order.status).toBe(200);
    expect(order.body).toMatchObject({
      orderAmount: 20_000,
      orderTaxAmount: 4000,
      purchaseCurrency: 'SEK',
    });
    expect((order.body.orderLines as unknown[]).length).toBe(1);
    // Found by order id alone, the receipt leads nowhere else: the cart holds the shopper's addresses.
    expect(order.body).not.toHaveProperty('cartId');
    expect(JSON.stringify(order.body)).not.toContain(cart.id);

    const locked = await http.post(`/carts/${cart.id}/items`, await anItem(http));
    expect(locked.status).toBe(409);
    expect(locked.body).toMatchObject({ code: 'CART_LOCKED' });
    // Klarna's push arrives right after creation: the order is confirmed once OM says ACCEPTED.
    await eventually(async () =>
      (await http.get<Placement>(`/orders/${placed.body.orderId}`)).body.status === 'confirmed' ? true : undefined,
    );
  });

  it('places the order, orders the cart, consumes the authorization and completes its session in one write', async () => {
    const { session, order } = await placedOrder();
    const { rows } = await database.query<Record<string, string>>(
      `SELECT o.status AS order_status, c.status AS cart_status, a.status AS authorization_status,
              s.status AS session_status, s.session_id
         FROM "order" o JOIN cart c ON c.id = o.cart_id
         JOIN klarna_authorization a ON a.id = o.authorization_id JOIN klarna_session s ON s.id = a.klarna_session_id
        WHERE o.id = $1`,
      [order.orderId],
    );
    expect(rows).toEqual([
      {
        order_status: expect.stringMatching(/^(placed|confirmed)$/),
        cart_status: 'ordered',
        authorization_status: 'consumed',
        session_status: 'completed',
        session_id: session.sessionId,
      },
    ]);
  });

  it('answers a repeat with the same order (200) and calls Klarna once', async () => {
    const { cart, token, order } = await placedOrder();
    const repeat = await http.post<Placement>(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: token,
    });
    expect(repeat.status).toBe(200);
    expect(repeat.body.orderId).toBe(order.orderId);
    expect((await calls('createOrder')).filter((call) => call.path.includes(token))).toHaveLength(1);
  });

  it('releases a second authorization for an ordered cart and answers ALREADY_ORDERED', async () => {
    const { cart, session } = await placedOrder();
    // Unique per run: suites share the database, and a token belongs to one cart.
    const other = `second-token-${cart.id}`;
    const response = await http.post(`/carts/${cart.id}/klarna-session/authorizations`, { authorizationToken: other });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: 'ALREADY_ORDERED' });
    expect((await calls('cancelAuthorization')).some((call) => call.path.endsWith(`/authorizations/${other}`))).toBe(
      true,
    );
    expect(await ordersOfCart(cart.id)).toHaveLength(1);
    expect(session.sessionId).toBeDefined();
  });

  it('double clicks give one order', async () => {
    const { cart, token } = await authorizedCart();
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map(() =>
        http.post<Placement>(`/carts/${cart.id}/klarna-session/authorizations`, { authorizationToken: token }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(answers.map((answer) => answer.body.orderId)).size).toBe(1);
    expect(answers.every((answer) => answer.body.klarnaOrderId)).toBe(true);
    expect(await ordersOfCart(cart.id)).toHaveLength(1);
  });

  it('holds an authorization for review and places it with POST /carts/:id/order', async () => {
    const { cart, token } = await authorizedCart();
    const held = await http.post(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: token,
      finalize: false,
    });
    expect(held.status).toBe(201);
    expect(held.body).toEqual({ status: 'authorized' });
    expect(await ordersOfCart(cart.id)).toHaveLength(0);
    const placed = await http.post<Placement>(`/carts/${cart.id}/order`);
    expect(placed.status).toBe(201);
    expect(placed.body.klarnaOrderId).toEqual(expect.any(String));
  });

  it('a newer authorization supersedes a held one: the older goes stale, is released at Klarna and never placed', async () => {
    const { cart, session, token: first } = await authorizedCart();
    const held = await http.post(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: first,
      finalize: false,
    });
    expect(held.status).toBe(201);
    const again = await service.klarna.control<{ authorization_token: string }>(
      'POST',
      `/sessions/${session.sessionId}/authorize`,
      { outcome: 'approved' },
    );
    const second = again.body.authorization_token;
    expect(second).not.toBe(first);
    const placed = await http.post<Placement>(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: second,
    });
    expect(placed.status).toBe(201);
    const { rows } = await database.query<{ authorization_token: string; status: string }>(
      'SELECT authorization_token, status FROM klarna_authorization WHERE cart_id = $1',
      [cart.id],
    );
    expect(Object.fromEntries(rows.map((row) => [row.authorization_token, row.status]))).toEqual({
      [first]: 'stale',
      [second]: 'consumed',
    });
    await eventually(async () =>
      (await calls('cancelAuthorization')).some((call) => call.path.endsWith(`/authorizations/${first}`))
        ? true
        : undefined,
    );
    expect((await calls('createOrder')).filter((call) => call.path.includes(first))).toHaveLength(0);
  });

  it('releases an authorization that Klarna’s callback superseded once the order is placed', async () => {
    const { cart, session, token: first } = await authorizedCart();
    const recorded = async (token: string) =>
      (await database.query('SELECT 1 FROM klarna_authorization WHERE authorization_token = $1', [token])).rowCount
        ? true
        : undefined;
    await eventually(() => recorded(first));
    const again = await service.klarna.control<{ authorization_token: string }>(
      'POST',
      `/sessions/${session.sessionId}/authorize`,
      { outcome: 'approved' },
    );
    const second = again.body.authorization_token;
    // The callback records the second authorization, superseding the first; it queues no release itself.
    await eventually(() => recorded(second));
    const placed = await http.post<Placement>(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: second,
    });
    expect(placed.status).toBe(201);
    await eventually(async () =>
      (await calls('cancelAuthorization')).some((call) => call.path.endsWith(`/authorizations/${first}`))
        ? true
        : undefined,
    );
  });

  it('queues no release job for an order placed with the cart’s only authorization (nothing to release)', async () => {
    const { cart, token } = await authorizedCart();
    const placed = await http.post<Placement>(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: token,
    });
    expect(placed.status).toBe(201);
    expect((await jobsOf(service, RELEASE_AUTHORIZATIONS_JOB)).filter((job) => job.data.cartId === cart.id)).toEqual(
      [],
    );
  });

  it('answers REAUTHORIZATION_REQUIRED for POST /carts/:id/order without a live authorization', async () => {
    const { cart } = await createCartWithSession(http);
    const response = await http.post(`/carts/${cart.id}/order`);
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: 'REAUTHORIZATION_REQUIRED' });
  });

  it('refuses, without calling Klarna, when the cart is out of sync with the session', async () => {
    const { cart, token } = await authorizedCart();
    await service.klarna.control('POST', '/faults', { operation: 'updateSession', errorRate: 1, errorStatus: 503 });
    const changed = await addItem(http, cart.id);
    expect(changed.klarna?.inSync).toBe(false);
    const response = await http.post(`/carts/${cart.id}/klarna-session/authorizations`, { authorizationToken: token });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: 'REAUTHORIZATION_REQUIRED' });
    expect((await calls('createOrder')).filter((call) => call.path.includes(token))).toHaveLength(0);
    expect(await ordersOfCart(cart.id)).toHaveLength(0);
  });

  it('maps Klarna’s 409 (order differs from what was authorized) to REAUTHORIZATION_REQUIRED', async () => {
    const { cart, session } = await createCartWithSession(http);
    // Someone changed the session behind our back: the shopper authorizes other content than our cart.
    const other = { ...sessionBody(), order_amount: 500, order_tax_amount: 100 };
    other.order_lines[0] = { ...other.order_lines[0], unit_price: 500, total_amount: 500, total_tax_amount: 100 };
    expect((await service.klarna.klarna('POST', `/payments/v1/sessions/${session.sessionId}`, other)).status).toBe(204);
    const token = await service.klarna.authorize(session.sessionId);
    const response = await http.post(`/carts/${cart.id}/klarna-session/authorizations`, { authorizationToken: token });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: 'REAUTHORIZATION_REQUIRED', correlationId: expect.any(String) });
    expect(await failedPlacementOf(cart.id)).toMatchObject({
      status: 'failed',
      failure_status: 409,
      failure_code: 'BAD_VALUE',
      last_correlation_id: response.body.correlationId,
      klarna_order_id: null,
    });
    // The refusal unlocks the cart: the shopper can change it and authorize again.
    expect((await addItem(http, cart.id)).status).toBe('checkout');
  });

  it('answers AUTHORIZATION_INVALID for an unknown token with Klarna’s correlation id, leaving nothing behind', async () => {
    const { cart } = await createCartWithSession(http);
    const response = await http.post(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: `made-up-token-${cart.id}`,
    });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ code: 'AUTHORIZATION_INVALID', correlationId: expect.any(String) });
    expect(await failedPlacementOf(cart.id)).toMatchObject({ status: 'failed', failure_status: 404 });
    const cartAfter = await http.get<CartBody>(`/carts/${cart.id}`);
    expect(cartAfter.body.status).toBe('checkout');
  });

  it('answers AUTHORIZATION_INVALID once the token expired (60 minutes)', async () => {
    const { cart, token } = await authorizedCart();
    await service.klarna.control('POST', '/clock', { advanceMs: 61 * 60_000 });
    try {
      const response = await http.post(`/carts/${cart.id}/klarna-session/authorizations`, {
        authorizationToken: token,
      });
      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({ code: 'AUTHORIZATION_INVALID' });
    } finally {
      await service.klarna.control('POST', '/clock', { advanceMs: -61 * 60_000 });
    }
  });

  it('answers KLARNA_REJECTED for other Klarna refusals', async () => {
    const { cart, token } = await authorizedCart();
    await service.klarna.control('POST', '/faults', { operation: 'createOrder', failNext: 1, errorStatus: 403 });
    const response = await http.post(`/carts/${cart.id}/klarna-session/authorizations`, { authorizationToken: token });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ code: 'KLARNA_REJECTED', correlationId: expect.any(String) });
    expect(await failedPlacementOf(cart.id)).toMatchObject({ status: 'failed', failure_status: 403 });
    // The refused token is released at Klarna.
    await eventually(async () =>
      (await calls('cancelAuthorization')).some((call) => call.path.endsWith(`/authorizations/${token}`))
        ? true
        : undefined,
    );
  });

  it('survives a lost answer: Klarna created the order, the connection was cut, the retry with the same key gets it', async () => {
    const { cart, token } = await authorizedCart();
    await service.klarna.control('POST', '/faults', { operation: 'createOrder', cutConnectionAfterProcessing: 1 });
    const placed = await http.post<Placement>(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: token,
    });
    expect(placed.status).toBe(201);
    const attempts = (await calls('createOrder')).filter((call) => call.path.includes(token));
    expect(attempts).toHaveLength(2);
    // Both attempts carried our order id as the key, so Klarna answered the retry with the order it had made.
    expect(attempts.map((call) => call.headers['klarna-idempotency-key'])).toEqual([
      placed.body.orderId,
      placed.body.orderId,
    ]);
    expect(attempts[1].response).toMatchObject({ order_id: placed.body.klarnaOrderId });
    const atKlarna = await service.klarna.klarna<{ merchant_reference1: string }>(
      'GET',
      `/ordermanagement/v1/orders/${placed.body.klarnaOrderId}`,
    );
    expect(atKlarna.body.merchant_reference1).toBe(placed.body.orderId);
    expect(await ordersOfCart(cart.id)).toHaveLength(1);
  });

  it('retries a placement whose outcome stays unknown in the background, with the same key, until it is known', async () => {
    const { cart, token } = await authorizedCart();
    await service.klarna.control('POST', '/faults', { operation: 'createOrder', timeoutAfterProcessing: 2 });
    // No push either: the background job alone must find the order.
    await service.klarna.control('POST', '/callback-faults', { drop: 1 });
    const lost = await http.post(`/carts/${cart.id}/klarna-session/authorizations`, { authorizationToken: token });
    expect(lost.status).toBe(503);
    expect(lost.body).toMatchObject({ code: 'KLARNA_UNAVAILABLE' });
    const [row] = await ordersOfCart(cart.id);
    expect(row.status).toBe('placing');
    // While Klarna's answer is unknown the cart refuses changes.
    const change = await http.post(`/carts/${cart.id}/items`, await anItem(http));
    expect(change.status).toBe(409);
    expect(change.body).toMatchObject({ code: 'ORDER_IN_PROGRESS' });
    const completed = await eventually(async () => {
      const order = await http.get<Placement>(`/orders/${row.id}`);
      return order.body.klarnaOrderId ? order.body : undefined;
    }, 20_000);
    expect(completed.orderId).toBe(row.id);
    const attempts = (await calls('createOrder')).filter((call) => call.path.includes(token));
    expect(new Set(attempts.map((call) => call.headers['klarna-idempotency-key']))).toEqual(new Set([row.id]));
    const created = new Set(attempts.map((call) => (call.response as { order_id?: string } | null)?.order_id));
    expect(created).toEqual(new Set([completed.klarnaOrderId]));
    const retry = await http.post<Placement>(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: token,
    });
    expect(retry.status).toBe(200);
    expect(retry.body.orderId).toBe(row.id);
  });

  describe('fraud decisions', () => {
    it('moves a pending order to confirmed when Klarna accepts it', async () => {
      const { order } = await placedOrder('fraud_pending');
      expect(order).toMatchObject({ status: 'placed', fraudStatus: 'PENDING' });
      await service.klarna.control('POST', `/orders/${order.klarnaOrderId}/fraud-decision`, {
        event_type: 'FRAUD_RISK_ACCEPTED',
      });
      const confirmed = await eventually(async () => {
        const read = await http.get<Placement>(`/orders/${order.orderId}`);
        return read.body.status === 'confirmed' ? read.body : undefined;
      });
      expect(confirmed.fraudStatus).toBe('ACCEPTED');
    });

    it('cancels a pending order Klarna rejects, and a late ACCEPTED never reopens it', async () => {
      const { cart, order } = await placedOrder('fraud_pending');
      await service.klarna.control('POST', `/orders/${order.klarnaOrderId}/fraud-decision`, {
        event_type: 'FRAUD_RISK_REJECTED',
      });
      await eventually(async () =>
        (await http.get<Placement>(`/orders/${order.orderId}`)).body.status === 'cancelled' ? true : undefined,
      );
      const [notification] = (
        await service.klarna.control<{ callbacks: { url: string }[] }>('GET', '/callbacks')
      ).body.callbacks.filter(
        (callback) => callback.url.includes('/webhooks/klarna/notification') && callback.url.includes(cart.id),
      );
      // Klarna itself now says AUTHORIZED and ACCEPTED (changed behind our back): only our rule keeps it cancelled.
      await service.klarna.control('POST', `/orders/${order.klarnaOrderId}/change`, { status: 'AUTHORIZED' });
      await service.klarna.control('POST', '/callback-faults', { drop: 1 });
      await service.klarna.control('POST', `/orders/${order.klarnaOrderId}/fraud-decision`, {
        event_type: 'FRAUD_RISK_ACCEPTED',
      });
      const atKlarna = await service.klarna.klarna('GET', `/ordermanagement/v1/orders/${order.klarnaOrderId}`);
      expect(atKlarna.body).toMatchObject({ status: 'AUTHORIZED', fraud_status: 'ACCEPTED' });
      const late = await fetch(notification.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ order_id: order.klarnaOrderId, event_type: 'FRAUD_RISK_ACCEPTED' }),
      });
      expect(late.status).toBe(200);
      expect(await late.json()).toEqual({ status: 'accepted' });
      expect((await http.get<Placement>(`/orders/${order.orderId}`)).body).toMatchObject({
        status: 'cancelled',
        fraudStatus: 'REJECTED',
      });
    });
  });

  describe('order management (operations)', () => {
    it('refuses callers without the operations key', async () => {
      const { order } = await placedOrder();
      expect((await http.patch(`/orders/${order.orderId}/authorization`, { orderAmount: 100 })).status).toBe(401);
      expect(
        (
          await http.patch(
            `/orders/${order.orderId}/authorization`,
            { orderAmount: 100 },
            { authorization: 'Bearer wrong' },
          )
        ).status,
      ).toBe(401);
      expect((await http.post(`/orders/${order.orderId}/cancel`)).status).toBe(401);
    });

    it('updates the order amount once per operation, with an idempotency key of our own', async () => {
      const { order } = await placedOrder();
      const path = `/orders/${order.orderId}/authorization`;
      const first = await http.patch(
        path,
        { orderAmount: 100_000, description: 'Goodwill' },
        { ...ops, 'idempotency-key': 'op-1' },
      );
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ orderAmount: 100_000, orderLines: [] });
      const retried = await http.patch(
        path,
        { orderAmount: 100_000, description: 'Goodwill' },
        { ...ops, 'idempotency-key': 'op-1' },
      );
      expect(retried.status).toBe(200);
      const reused = await http.patch(path, { orderAmount: 90_000 }, { ...ops, 'idempotency-key': 'op-1' });
      expect(reused.status).toBe(422);
      expect(reused.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
      const second = await http.patch(path, { orderAmount: 100_000 }, { ...ops, 'idempotency-key': 'op-2' });
      expect(second.status).toBe(200);
      const patches = (await calls('updateAuthorization')).filter((call) => call.path.includes(order.klarnaOrderId!));
      expect(patches).toHaveLength(2);
      const keys = patches.map((call) => call.headers['klarna-idempotency-key']);
      expect(new Set(keys).size).toBe(2);
      expect(patches[0].body).toEqual({ order_amount: 100_000, description: 'Goodwill', order_lines: [] });
    });

    it('replaces the order lines and checks they add up', async () => {
      const { order } = await placedOrder();
      const path = `/orders/${order.orderId}/authorization`;
      const line = { reference: 'SKU-9', name: 'Socks', quantity: 2, unitPrice: 10_000, taxRate: 2500 };
      const mismatch = await http.patch(path, { orderAmount: 1000, orderLines: [line] }, ops);
      expect(mismatch.status).toBe(400);
      expect(mismatch.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'orderAmount' }] });
      const replaced = await http.patch(path, { orderAmount: 20_000, orderLines: [line] }, ops);
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ orderAmount: 20_000, orderTaxAmount: 4000 });
    });

    it('refuses an amount below the captured amount, or negative', async () => {
      const { order } = await placedOrder();
      const capture = await service.klarna.klarna(
        'POST',
        `/ordermanagement/v1/orders/${order.klarnaOrderId}/captures`,
        { captured_amount: 50_000 },
      );
      expect(capture.status).toBe(201);
      const below = await http.patch(`/orders/${order.orderId}/authorization`, { orderAmount: 49_999 }, ops);
      expect(below.status).toBe(409);
      expect(below.body).toMatchObject({ code: 'ORDER_NOT_MODIFIABLE' });
      const negative = await http.patch(`/orders/${order.orderId}/authorization`, { orderAmount: -1 }, ops);
      expect(negative.status).toBe(400);
      expect(
        (await calls('updateAuthorization')).filter((call) => call.path.includes(order.klarnaOrderId!)),
      ).toHaveLength(0);
    });

    it('refuses updates of a fully captured order', async () => {
      const { order } = await placedOrder();
      const full = (await http.get<{ orderAmount: number }>(`/orders/${order.orderId}`)).body.orderAmount;
      await service.klarna.klarna('POST', `/ordermanagement/v1/orders/${order.klarnaOrderId}/captures`, {
        captured_amount: full,
      });
      const response = await http.patch(`/orders/${order.orderId}/authorization`, { orderAmount: full }, ops);
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({
        code: 'ORDER_NOT_MODIFIABLE',
        message: expect.stringContaining('fully captured'),
      });
    });

    it('answers KLARNA_REFUSED with the correlation id when Klarna refuses an increase', async () => {
      const { order } = await placedOrder();
      await service.klarna.control('POST', `/orders/${order.klarnaOrderId}/refuse-increases`, { refuse: true });
      const response = await http.patch(`/orders/${order.orderId}/authorization`, { orderAmount: 900_000 }, ops);
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: 'KLARNA_REFUSED', correlationId: expect.any(String) });
    });

    it('cancels the order at Klarna, after which it cannot be changed', async () => {
      const { order } = await placedOrder();
      const cancelled = await http.post(`/orders/${order.orderId}/cancel`, undefined, ops);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled' });
      expect((await calls('cancelOrder')).filter((call) => call.path.includes(order.klarnaOrderId!))).toHaveLength(1);
      // Our own rule answers, before Klarna is asked: Klarna's refusal would be a 409 too, but KLARNA_REFUSED.
      const again = await http.patch(`/orders/${order.orderId}/authorization`, { orderAmount: 1 }, ops);
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'ORDER_NOT_MODIFIABLE', message: expect.stringContaining('cancelled') });
      const captured = await http.post(`/orders/${order.orderId}/captures`, { amount: 1 }, ops);
      expect(captured.status).toBe(409);
      expect(captured.body).toMatchObject({ code: 'ORDER_NOT_CAPTURABLE' });
      const atKlarna = (await calls('')).filter(
        (call) => call.path.includes(order.klarnaOrderId!) && call.operation !== 'cancelOrder',
      );
      expect(atKlarna.filter((call) => call.operation !== 'getOrder')).toEqual([]);
    });
  });

  describe('customer tokens', () => {
    /** A cart whose session was opened to buy and tokenize, authorized by the shopper. */
    async function tokenizingCart(intent = 'buy_and_tokenize') {
      const cart = await createCart(http);
      await addItem(http, cart.id);
      const session = await http.post<{ sessionId: string; intent: string }>(`/carts/${cart.id}/klarna-session`, {
        intent,
      });
      expect(session.status).toBe(201);
      expect(session.body.intent).toBe(intent);
      const token = await service.klarna.authorize(session.body.sessionId);
      return { cart, sessionId: session.body.sessionId, token };
    }
    const createToken = (cartId: string, authorizationToken: string) =>
      http.post<{ tokenId: string }>(`/carts/${cartId}/klarna-session/customer-token`, {
        authorizationToken,
        intendedUse: 'SUBSCRIPTION',
        description: 'Monthly coffee',
      });

    it('creates one from an authorization of a tokenizing session and keeps it with the cart', async () => {
      const { cart, sessionId, token } = await tokenizingCart();
      const [created] = (await calls('createSession')).filter((call) =>
        JSON.stringify(call.body.merchant_urls).includes(cart.id),
      );
      expect(created.body.intent).toBe('buy_and_tokenize');
      const response = await createToken(cart.id, token);
      expect(response.status).toBe(201);
      expect(response.body.tokenId).toEqual(expect.any(String));
      const stored = await database.query('SELECT token_id FROM customer_token WHERE cart_id = $1', [cart.id]);
      expect(stored.rows).toEqual([{ token_id: response.body.tokenId }]);
      expect(sessionId).toBeDefined();
    });

    it('retries a lost answer with the same key and gets the one token Klarna made', async () => {
      const { cart, token } = await tokenizingCart('tokenize');
      await service.klarna.control('POST', '/faults', { operation: 'createCustomerToken', timeoutAfterProcessing: 1 });
      const response = await createToken(cart.id, token);
      expect(response.status).toBe(201);
      const attempts = (await calls('createCustomerToken')).filter((call) => call.path.includes(token));
      expect(attempts).toHaveLength(2);
      const keys = attempts.map((call) => call.headers['klarna-idempotency-key']);
      expect(keys[0]).toEqual(expect.any(String));
      expect(keys[1]).toBe(keys[0]);
      expect((attempts[0].response as { token_id: string }).token_id).toBe(response.body.tokenId);
    });

    it('answers TOKENIZATION_NOT_REQUESTED for a session opened only to buy, without calling Klarna', async () => {
      const { cart, token } = await authorizedCart();
      const response = await createToken(cart.id, token);
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: 'TOKENIZATION_NOT_REQUESTED' });
      expect((await calls('createCustomerToken')).filter((call) => call.path.includes(token))).toHaveLength(0);
    });

    it('refuses an authorization of another cart with AUTHORIZATION_INVALID, without calling Klarna', async () => {
      const mine = await tokenizingCart();
      const other = await tokenizingCart();
      const response = await createToken(mine.cart.id, other.token);
      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({ code: 'AUTHORIZATION_INVALID' });
      expect((await calls('createCustomerToken')).filter((call) => call.path.includes(other.token))).toHaveLength(0);
    });
  });
});

function sessionBody() {
  return {
    purchase_country: 'SE',
    purchase_currency: 'SEK',
    locale: 'sv-SE',
    order_amount: 129_900,
    order_tax_amount: 25_980,
    order_lines: [
      {
        type: 'physical',
        reference: 'X',
        name: 'Other',
        quantity: 1,
        unit_price: 129_900,
        tax_rate: 2500,
        total_amount: 129_900,
        total_discount_amount: 0,
        total_tax_amount: 25_980,
      },
    ],
  };
}
