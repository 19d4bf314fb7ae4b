/**
 * test/order/order.e2e-spec.ts with PAYMENT_GATEWAY=cybersource: each authorization becomes exactly one order, the
 * refusals and the unknown outcomes, asserted on what the CyberSource simulator received and keeps. apAuthService
 * creates the Klarna order; its request id is our `klarnaOrderId`. What cannot apply is listed in the README's
 * "Klarna through CyberSource" section.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { addItem, anItem, createCartWithSession, type CartBody, type ItemSpec } from '../factories/cart.factory.js';
import { ordersOfCart, type Placement } from '../factories/checkout.factory.js';
import type { HttpClient } from '../support/http.js';
import { OPS_API_KEY, eventually, startTestApp, type TestApp } from '../support/test-app.js';
import type { CyberSourceSide } from './cybersource-test-kit.js';

const ops = { authorization: `Bearer ${OPS_API_KEY}` };

describe('orders through CyberSource: each authorization becomes exactly one order', () => {
  let service: TestApp;
  let http: HttpClient;
  let cyberSource: CyberSourceSide;

  /** A cart with a session whose shopper authorized it in the widget. */
  const authorizedCart = async (
    items: ItemSpec[] = [{}],
    outcome: 'approved' | 'pending' | 'declined' = 'approved',
  ) => {
    const { cart, session } = await createCartWithSession(http, items);
    return { cart, session, token: await cyberSource.authorize(session.sessionId, outcome) };
  };
  const place = (cartId: string, authorizationToken: string) =>
    http.post<Placement>(`/carts/${cartId}/klarna-session/authorizations`, { authorizationToken });
  /** The apAuthService requests CyberSource received for this widget token. */
  const authorizationsFor = async (token: string) =>
    (await cyberSource.calls('authorize')).filter((call) => call.fields.apAuthService_preapprovalToken === token);
  /** Authorizations CyberSource holds (applied) for this token: at most one may ever exist. */
  const appliedFor = async (token: string) => {
    const applied = [];
    for (const call of await authorizationsFor(token)) {
      if (!call.requestID) continue;
      const held = await cyberSource.control<{ status: string; merchantReferenceCode: string }>(
        'GET',
        `/transactions/${call.requestID}`,
      );
      if (held.status === 200) applied.push({ requestId: call.requestID, ...held.body });
    }
    return applied;
  };

  beforeAll(async () => {
    service = await startTestApp({
      PAYMENT_GATEWAY: 'cybersource',
      AUTHORIZATION_CALLBACK_GRACE_MS: '600000',
      // Faults here are reason codes and cut connections, not timeouts: a loaded machine must not add any.
      KLARNA_TIMEOUT_MS: '3000',
      KLARNA_RETRY_MAX_DELAY_MS: '1000',
      PLACEMENT_ATTENTION_AFTER_MS: '3000',
    });
    http = service.http;
    cyberSource = service.cyberSource!;
  });
  afterAll(() => service.close());
  beforeEach(async () => {
    await cyberSource.control('DELETE', '/faults');
  });

  it('places the order with apAuthService from the cart in our database; the cart is locked after', async () => {
    const { cart, token } = await authorizedCart([{ quantity: 2, unitPrice: 10_000 }]);
    const placed = await place(cart.id, token);
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ status: 'placed', fraudStatus: 'ACCEPTED', klarnaOrderId: expect.any(String) });
    const [authorization] = await authorizationsFor(token);
    expect(authorization).toMatchObject({ requestID: placed.body.klarnaOrderId, decision: 'ACCEPT', reasonCode: 100 });
    expect(authorization.fields).toMatchObject({
      merchantReferenceCode: placed.body.orderId,
      purchaseTotals_currency: 'SEK',
      purchaseTotals_grandTotalAmount: '200.00',
      item_0_quantity: '2',
    });
    const order = await http.get(`/orders/${placed.body.orderId}`);
    expect(order.body).toMatchObject({ orderAmount: 20_000, purchaseCurrency: 'SEK' });
    const locked = await http.post(`/carts/${cart.id}/items`, await anItem(http));
    expect(locked.status).toBe(409);
    expect(locked.body).toMatchObject({ code: 'CART_LOCKED' });
  });

  it('answers a repeat with the same order (200) and sends apAuthService once', async () => {
    const { cart, token } = await authorizedCart();
    const first = await place(cart.id, token);
    expect(first.status).toBe(201);
    const repeat = await place(cart.id, token);
    expect(repeat.status).toBe(200);
    expect(repeat.body.orderId).toBe(first.body.orderId);
    expect(await authorizationsFor(token)).toHaveLength(1);
  });

  it('double clicks give one order and one apAuthService', async () => {
    const { cart, token } = await authorizedCart();
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => place(cart.id, token)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(answers.map((answer) => answer.body.orderId)).size).toBe(1);
    expect(await ordersOfCart(service, cart.id)).toHaveLength(1);
    expect(await authorizationsFor(token)).toHaveLength(1);
  });

  it('answers ALREADY_ORDERED for a second authorization of an ordered cart, without a second apAuthService', async () => {
    const { cart, session, token } = await authorizedCart();
    expect((await place(cart.id, token)).status).toBe(201);
    // Unique per run: suites share the database, and a token is unique across carts.
    const second = `second-token-${cart.id}`;
    const response = await place(cart.id, second);
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: 'ALREADY_ORDERED' });
    expect(await authorizationsFor(second)).toEqual([]);
    expect(await ordersOfCart(service, cart.id)).toHaveLength(1);
    expect(session.sessionId).toBeDefined();
  });

  it('refuses, without calling CyberSource, when the cart is out of sync with the session', async () => {
    const { cart, token } = await authorizedCart();
    await cyberSource.control('POST', '/faults', { operation: 'updateSession', errorRate: 1, reasonCode: 150 });
    const changed = await addItem(http, cart.id);
    expect(changed.klarna?.inSync).toBe(false);
    const response = await place(cart.id, token);
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: 'REAUTHORIZATION_REQUIRED' });
    expect(await authorizationsFor(token)).toEqual([]);
    expect(await ordersOfCart(service, cart.id)).toHaveLength(0);
  });

  it('answers AUTHORIZATION_INVALID for an unknown token (102 preapprovalToken), and the cart opens again', async () => {
    const { cart } = await createCartWithSession(http);
    const response = await place(cart.id, `made-up-token-${cart.id}`);
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({
      code: 'AUTHORIZATION_INVALID',
      correlationId: expect.stringMatching(/^\d{22}$/),
    });
    const [row] = await ordersOfCart(service, cart.id);
    expect(row).toMatchObject({ status: 'failed', failure_status: 404, klarna_order_id: null });
    expect((await http.get<CartBody>(`/carts/${cart.id}`)).body.status).toBe('checkout');
  });

  it('answers AUTHORIZATION_INVALID once the widget token expired (60 minutes)', async () => {
    const { cart, token } = await authorizedCart();
    await cyberSource.control('POST', '/clock', { advanceMs: 61 * 60_000 });
    try {
      const response = await place(cart.id, token);
      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({ code: 'AUTHORIZATION_INVALID' });
    } finally {
      await cyberSource.control('POST', '/clock', { advanceMs: -61 * 60_000 });
    }
  });

  it('answers KLARNA_REJECTED for a decline (233) and for Decision Manager’s reject (481), keeping the rows failed', async () => {
    const declined = await authorizedCart([{}], 'declined');
    const refused = await place(declined.cart.id, declined.token);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'KLARNA_REJECTED' });

    const screened = await authorizedCart();
    await cyberSource.control('POST', '/decision-manager', { decision: 'REJECT' });
    const rejected = await place(screened.cart.id, screened.token);
    expect(rejected.status).toBe(422);
    expect(rejected.body).toMatchObject({ code: 'KLARNA_REJECTED' });
    for (const cartId of [declined.cart.id, screened.cart.id]) {
      expect(await ordersOfCart(service, cartId)).toEqual([
        expect.objectContaining({ status: 'failed', klarna_order_id: null }),
      ]);
    }
  });

  it('places a PENDING authorization as fraud status PENDING; check status (reconciliation) confirms it', async () => {
    const { cart, token } = await authorizedCart([{}], 'pending');
    const placed = await place(cart.id, token);
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ status: 'placed', fraudStatus: 'PENDING' });
    await cyberSource.control('POST', `/authorizations/${placed.body.klarnaOrderId}/settle`, { outcome: 'authorized' });
    expect((await http.post('/ops/reconcile', undefined, ops)).status).toBe(200);
    const confirmed = await eventually(async () => {
      const read = await http.get<Placement>(`/orders/${placed.body.orderId}`);
      return read.body.status === 'confirmed' ? read.body : undefined;
    });
    expect(confirmed.fraudStatus).toBe('ACCEPTED');
    const checks = (await cyberSource.calls('checkStatus')).filter(
      (call) => call.fields.apCheckStatusService_checkStatusRequestID === placed.body.klarnaOrderId,
    );
    expect(checks.length).toBeGreaterThanOrEqual(1);
  });

  describe('unknown outcomes', () => {
    it.each([150, 151, 152] as const)(
      'a %i before CyberSource applied: the retry with the same token places exactly one order',
      async (reasonCode) => {
        const { cart, token } = await authorizedCart();
        await cyberSource.control('POST', '/faults', { operation: 'authorize', failNext: 1, reasonCode });
        const placed = await place(cart.id, token);
        expect(placed.status).toBe(201);
        const attempts = await authorizationsFor(token);
        expect(attempts.map((call) => call.reasonCode)).toEqual([reasonCode, 100]);
        // Both attempts carried our order id; CyberSource holds one authorization, ours.
        expect(new Set(attempts.map((call) => call.fields.merchantReferenceCode))).toEqual(
          new Set([placed.body.orderId]),
        );
        expect(await appliedFor(token)).toEqual([
          expect.objectContaining({ requestId: placed.body.klarnaOrderId, merchantReferenceCode: placed.body.orderId }),
        ]);
      },
    );

    it('an answer lost after CyberSource applied (151 after applying) is never guessed: check status, then ops', async () => {
      const { cart, session, token } = await authorizedCart();
      await cyberSource.control('POST', '/faults', {
        operation: 'authorize',
        failNext: 1,
        reasonCode: 151,
        afterProcessing: true,
      });
      const lost = await place(cart.id, token);
      expect(lost.status).toBe(503);
      expect(lost.body).toMatchObject({ code: 'KLARNA_UNAVAILABLE' });
      const [row] = await ordersOfCart(service, cart.id);
      // While the outcome is unknown the cart refuses changes.
      const change = await http.post(`/carts/${cart.id}/items`, await anItem(http));
      expect(change.status).toBe(409);
      expect(change.body).toMatchObject({ code: 'ORDER_IN_PROGRESS' });
      // Check status of the session says an order was made; nothing names it, so the order goes to ops.
      await eventually(async () =>
        (await ordersOfCart(service, cart.id))[0].status === 'needs_attention' ? true : undefined,
      );
      const checks = (await cyberSource.calls('checkStatus')).filter(
        (call) => call.fields.apCheckStatusService_sessionsRequestID === session.sessionId,
      );
      expect(checks.length).toBeGreaterThanOrEqual(1);
      // Exactly one authorization exists, ours; a resend of the spent token is refused (102), never a second order.
      const applied = await appliedFor(token);
      expect(applied).toEqual([expect.objectContaining({ merchantReferenceCode: row.id, status: 'AUTHORIZED' })]);
      for (const retry of (await authorizationsFor(token)).slice(1)) expect(retry.reasonCode).toBe(102);
      const attention = await http.get<{ orders: { orderId: string; attentionReason: string }[] }>(
        '/ops/attention',
        ops,
      );
      expect(attention.body.orders.map((order) => order.orderId)).toContain(row.id);

      // Ops find the authorization in the Business Center by its merchant reference code (our order id). Check status
      // names no reference, so the resolve matches amount and currency: another order's authorization is refused.
      const other = await authorizedCart([{ unitPrice: 777 }]);
      const otherOrder = await place(other.cart.id, other.token);
      const mismatch = await http.post(
        `/orders/${row.id}/resolve`,
        { klarnaOrderId: otherOrder.body.klarnaOrderId },
        ops,
      );
      expect(mismatch.status).toBe(409);
      expect(mismatch.body).toMatchObject({ code: 'KLARNA_ORDER_MISMATCH' });
      const resolved = await http.post<Placement>(
        `/orders/${row.id}/resolve`,
        { klarnaOrderId: applied[0].requestId },
        ops,
      );
      expect(resolved.status).toBe(200);
      expect(resolved.body).toMatchObject({ orderId: row.id, klarnaOrderId: applied[0].requestId });
      expect(['placed', 'confirmed']).toContain((resolved.body as Placement).status);
      expect((await http.get<CartBody>(`/carts/${cart.id}`)).body.status).toBe('ordered');
    });

    it('a cut connection after CyberSource applied leaves one authorization and an order for ops, not a failure', async () => {
      const { cart, token } = await authorizedCart();
      await cyberSource.control('POST', '/faults', { operation: 'authorize', cutConnectionAfterProcessing: 1 });
      const lost = await place(cart.id, token);
      expect(lost.status).toBe(503);
      await eventually(async () =>
        (await ordersOfCart(service, cart.id))[0].status === 'needs_attention' ? true : undefined,
      );
      expect(await appliedFor(token)).toHaveLength(1);
      expect((await ordersOfCart(service, cart.id)).map((row) => row.status)).toEqual(['needs_attention']);
    });
  });
});
