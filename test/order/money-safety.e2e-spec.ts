import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { PrismaService } from '../../src/database/prisma.service.js';
import { OrderRepository } from '../../src/order/order.repository.js';
import { addItem, anItem, createCart, type CartBody } from '../factories/cart.factory.js';
import {
  authorizedCart,
  ordersOfCart,
  placeOrder,
  placedOrder,
  type Placement,
} from '../factories/checkout.factory.js';
import type { HttpClient } from '../support/http.js';
import { backendPid, waitingBehind } from '../support/row-locks.js';
import { OPS_API_KEY, eventually, startTestApp, type TestApp } from '../support/test-app.js';
import { testDatabaseUrl } from '../support/test-database.js';

const ops = { authorization: `Bearer ${OPS_API_KEY}` };

/**
 * The money-safety issue, item by item: every authorization ends as exactly one Klarna order that we know about,
 * or a released token. The fault matrix (fault-matrix.e2e-spec.ts) runs the whole checkout under every fault.
 */
describe('money safety', () => {
  let service: TestApp;
  let http: HttpClient;

  const calls = (operation: string) => service.klarnaCalls(operation);
  const fault = (rule: Record<string, unknown>) => service.klarna.control('POST', '/faults', rule);
  const metric = async (name: string) => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    const line = text.split('\n').find((row) => row.startsWith(name));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const orderStatus = async (orderId: string) =>
    (await service.database.query<{ status: string }>('SELECT status FROM "order" WHERE id = $1', [orderId])).rows[0]
      ?.status;

  beforeAll(async () => {
    service = await startTestApp({
      AUTHORIZATION_CALLBACK_GRACE_MS: '600000',
      KLARNA_RETRY_MAX_DELAY_MS: '1000',
      PLACEMENT_ATTENTION_AFTER_MS: '2000',
    });
    ({ http } = service);
  });
  afterAll(() => service.close());
  afterEach(async () => {
    await service.klarna.control('DELETE', '/faults');
    await service.klarna.control('DELETE', '/callback-faults');
  });

  describe('an order row is never deleted, and an unknown outcome goes to ops', () => {
    it('refuses to delete an order or move it back, in SQL', async () => {
      const { order } = await placedOrder(service);
      await expect(service.database.query('DELETE FROM "order" WHERE id = $1', [order.orderId])).rejects.toThrow(
        /never deleted/,
      );
      await service.database.query(`UPDATE "order" SET status = 'cancelled' WHERE id = $1`, [order.orderId]);
      await expect(
        service.database.query(`UPDATE "order" SET status = 'placed' WHERE id = $1`, [order.orderId]),
      ).rejects.toThrow(/cannot move back/);
      await expect(
        service.database.query(`UPDATE "order" SET fraud_status = 'PENDING' WHERE id = $1`, [order.orderId]),
      ).rejects.toThrow(/fraud status cannot move back/);
    });

    it('hands a placement Klarna never confirms to ops, who resolve it by the Klarna order id', async () => {
      const other = await placedOrder(service);
      const { cart, token } = await authorizedCart(service);
      // Klarna makes the order but no answer ever arrives, and its push is lost too.
      await fault({ operation: 'createOrder', timeoutAfterProcessing: 1000 });
      await service.klarna.control('POST', '/callback-faults', { drop: 1 });
      const before = await metric('orders_needing_attention_total');
      const lost = await placeOrder(service, cart.id, token);
      expect(lost.status).toBe(503);
      const [row] = await ordersOfCart(service, cart.id);
      await eventually(async () => ((await orderStatus(row.id)) === 'needs_attention' ? true : undefined));
      expect(await metric('orders_needing_attention_total')).toBe(before + 1);

      expect((await http.get('/ops/attention')).status).toBe(401);
      const attention = await http.get<{ orders: { orderId: string; attentionReason: string }[] }>(
        '/ops/attention',
        ops,
      );
      expect(attention.body.orders).toContainEqual(
        expect.objectContaining({ orderId: row.id, status: 'needs_attention', attentionReason: expect.any(String) }),
      );
      const madeByKlarna = (await calls('createOrder')).find((call) => call.path.includes(token))!.response as {
        order_id: string;
      };
      const wrong = await http.post(`/orders/${row.id}/resolve`, { klarnaOrderId: other.order.klarnaOrderId }, ops);
      expect(wrong.status).toBe(409);
      expect(wrong.body).toMatchObject({ code: 'KLARNA_ORDER_MISMATCH' });

      const resolved = await http.post<Placement>(
        `/orders/${row.id}/resolve`,
        { klarnaOrderId: madeByKlarna.order_id },
        ops,
      );
      expect(resolved.status).toBe(200);
      expect(resolved.body).toMatchObject({ klarnaOrderId: madeByKlarna.order_id, status: 'confirmed' });
      expect((await http.get<CartBody>(`/carts/${cart.id}`)).body.status).toBe('ordered');
      expect((await http.get<{ orders: unknown[] }>('/ops/attention', ops)).body.orders).not.toContainEqual(
        expect.objectContaining({ orderId: row.id }),
      );
    });

    it('ops declare that Klarna has no order: the placement fails, the token is released, the cart opens', async () => {
      const { cart, token } = await authorizedCart(service);
      await fault({ operation: 'createOrder', timeout: true });
      expect((await placeOrder(service, cart.id, token)).status).toBe(503);
      const [row] = await ordersOfCart(service, cart.id);
      await eventually(async () => ((await orderStatus(row.id)) === 'needs_attention' ? true : undefined));
      const resolved = await http.post<Placement>(`/orders/${row.id}/resolve`, { noKlarnaOrder: true }, ops);
      expect(resolved.status).toBe(200);
      expect(resolved.body.status).toBe('failed');
      await eventually(async () =>
        (await calls('cancelAuthorization')).some((call) => call.path.endsWith(`/authorizations/${token}`))
          ? true
          : undefined,
      );
      expect((await addItem(http, cart.id)).status).toBe('checkout');
      const again = await http.post(`/orders/${row.id}/resolve`, { noKlarnaOrder: true }, ops);
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'ORDER_NOT_MODIFIABLE' });
    });
  });

  it('refuses every cart change while an order is being placed (ORDER_IN_PROGRESS), calling Klarna for none', async () => {
    const { cart, session, token } = await authorizedCart(service);
    await fault({ operation: 'createOrder', timeout: true });
    expect((await placeOrder(service, cart.id, token)).status).toBe(503);
    const sessionCalls = async () =>
      (await service.klarnaCalls()).filter(
        (call) => call.path.includes(session.sessionId) || call.operation === 'createSession',
      ).length;
    const callsBefore = await sessionCalls();
    const itemId = cart.items[0].id;
    const attempts = [
      http.post(`/carts/${cart.id}/items`, await anItem(http)),
      http.patch(`/carts/${cart.id}/items/${itemId}`, { quantity: 3 }),
      http.delete(`/carts/${cart.id}/items/${itemId}`),
      http.patch(`/carts/${cart.id}`, { purchaseCountry: 'NO', purchaseCurrency: 'NOK', locale: 'nb-NO' }),
      http.put(`/carts/${cart.id}/customer`, { billingAddress: { givenName: 'Ada', country: 'SE' } }),
      http.post(`/carts/${cart.id}/klarna-session`),
    ];
    for (const answer of await Promise.all(attempts)) {
      expect(answer.status).toBe(409);
      expect(answer.body).toMatchObject({ code: 'ORDER_IN_PROGRESS' });
    }
    expect(await sessionCalls()).toBe(callsBefore);
    await service.klarna.control('DELETE', '/faults');
    await eventually(async () => ((await ordersOfCart(service, cart.id))[0].klarna_order_id ? true : undefined));
  });

  describe('every Klarna session is kept, and each authorization stays tied to its own', () => {
    it('keeps the replaced session and its authorization when the market changes', async () => {
      const { cart, session, token } = await authorizedCart(service);
      await http.post(`/carts/${cart.id}/klarna-session/authorizations`, {
        authorizationToken: token,
        finalize: false,
      });
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
      expect(moved.body.klarna?.action).toBe('init');
      const { rows } = await service.database.query<{ session_id: string; status: string; live: boolean }>(
        'SELECT session_id, status, live FROM klarna_session WHERE cart_id = $1 ORDER BY created_at',
        [cart.id],
      );
      expect(rows).toEqual([
        { session_id: session.sessionId, status: 'replaced', live: false },
        { session_id: moved.body.klarna?.sessionId, status: 'active', live: true },
      ]);
      const authorization = await service.database.query(
        `SELECT a.status, s.session_id FROM klarna_authorization a JOIN klarna_session s ON s.id = a.klarna_session_id
         WHERE a.authorization_token = $1`,
        [token],
      );
      expect(authorization.rows).toEqual([{ status: 'expired', session_id: session.sessionId }]);
      // The replaced session's authorization is released at Klarna.
      await eventually(async () =>
        (await calls('cancelAuthorization')).some((call) => call.path.endsWith(`/authorizations/${token}`))
          ? true
          : undefined,
      );
    });

    it('settles a refusal after an unknown attempt by reading the authorization’s own session', async () => {
      const { cart, session, token } = await authorizedCart(service);
      // The first attempt gets no answer (Klarna never saw it); the retry is refused.
      await fault({ operation: 'createOrder', timeoutNext: 1 });
      await fault({ operation: 'createOrder', failNext: 1, errorStatus: 403 });
      const refused = await placeOrder(service, cart.id, token);
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ code: 'KLARNA_REJECTED' });
      const reads = (await calls('readSession')).filter((call) => call.path.endsWith(`/sessions/${session.sessionId}`));
      expect(reads).toHaveLength(1);
      expect((await ordersOfCart(service, cart.id))[0]).toMatchObject({ status: 'failed', failure_status: 403 });
    });

    it('waits for the push, never placing again, when the authorization’s session shows Klarna made the order', async () => {
      const { cart, session, token } = await authorizedCart(service);
      // Klarna made the order, the answer was lost, and the key was forgotten: the retry is refused (404).
      await fault({ operation: 'createOrder', timeoutAfterProcessing: 1 });
      await fault({ operation: 'createOrder', failNext: 1, errorStatus: 403 });
      // The push must arrive after the placement has read the session: that path is the 1 s timeout, a backoff, the
      // refusal and the read, and a loaded machine (CI) stretches it past 1.5 s; an earlier push settles it as placed.
      await service.klarna.control('POST', '/callback-faults', { delayMs: 4000 });
      const pending = await placeOrder(service, cart.id, token);
      expect(pending.status).toBe(503);
      const reads = (await calls('readSession')).filter((call) => call.path.endsWith(`/sessions/${session.sessionId}`));
      expect(reads.at(-1)?.response).toMatchObject({ status: 'complete' });
      const [row] = await ordersOfCart(service, cart.id);
      const placed = await eventually(async () => {
        const order = await http.get<Placement>(`/orders/${row.id}`);
        return order.body.klarnaOrderId ? order.body : undefined;
      });
      const created = (await calls('createOrder')).filter((call) => call.path.includes(token) && call.status === 200);
      // The completion job may ask again under the same Klarna-Idempotency-Key before the push arrives: Klarna
      // answers with the order it made. One order, however often it was named.
      const orderIds = new Set(created.map((call) => (call.response as { order_id: string }).order_id));
      expect([...orderIds]).toEqual([placed.klarnaOrderId]);
    });
  });

  describe('a session update with an unknown outcome', () => {
    /** What Klarna holds, read through the simulator's control side (not subject to faults). */
    const sessionOf = async (sessionId: string) =>
      (
        await service.klarna.control<{ data: { order_amount: number; order_lines: { quantity: number }[] } }>(
          'GET',
          `/sessions/${sessionId}`,
        )
      ).body.data;

    it('is read back by the job, which pushes nothing more when Klarna holds the cart', async () => {
      const { cart, session } = await authorizedCart(service);
      await fault({ operation: 'updateSession', timeoutAfterProcessing: 1 });
      const changed = await http.patch<CartBody>(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity: 2 });
      expect(changed.body.klarna).toMatchObject({ inSync: false, syncError: { errorCode: 'TIMEOUT' } });
      await eventually(async () =>
        (await http.get<CartBody>(`/carts/${cart.id}`)).body.klarna?.inSync ? true : undefined,
      );
      const reads = (await calls('readSession')).filter((call) => call.path.includes(session.sessionId));
      expect(reads.length).toBeGreaterThan(0);
      expect((await calls('updateSession')).filter((call) => call.path.includes(session.sessionId))).toHaveLength(1);
      expect((await sessionOf(session.sessionId)).order_amount).toBe(changed.body.orderAmount);
    });

    it('is pushed again when the read-back shows Klarna missed it', async () => {
      const { cart, session } = await authorizedCart(service);
      await fault({ operation: 'updateSession', timeoutNext: 1 });
      const changed = await http.patch<CartBody>(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity: 3 });
      expect(changed.body.klarna?.inSync).toBe(false);
      await eventually(async () =>
        (await http.get<CartBody>(`/carts/${cart.id}`)).body.klarna?.inSync ? true : undefined,
      );
      expect((await calls('updateSession')).filter((call) => call.path.includes(session.sessionId))).toHaveLength(2);
      expect((await sessionOf(session.sessionId)).order_amount).toBe(changed.body.orderAmount);
    });

    it('makes a cart that returns to its last acknowledged payload be pushed again', async () => {
      const { cart, session } = await authorizedCart(service);
      await fault({ operation: 'readSession', errorRate: 1, errorStatus: 503 });
      await fault({ operation: 'updateSession', timeoutAfterProcessing: 1 });
      // Klarna takes quantity 2 but we never hear it; then the shopper goes back to 1, the last payload Klarna
      // acknowledged. Klarna holds 2: equal fingerprints must not count as "in sync".
      await http.patch(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity: 2 });
      const back = await http.patch<CartBody>(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity: 1 });
      expect(back.body.klarna).toMatchObject({ inSync: true, action: 'reauthorize' });
      const updates = (await calls('updateSession')).filter((call) => call.path.includes(session.sessionId));
      expect(updates.map((call) => call.body.order_lines?.[0].quantity)).toEqual([2, 1]);
      expect((await sessionOf(session.sessionId)).order_lines[0].quantity).toBe(1);
    });

    it('blocks placing an order while it is unknown', async () => {
      const { cart, session } = await authorizedCart(service);
      await fault({ operation: 'readSession', errorRate: 1, errorStatus: 503 });
      await fault({ operation: 'updateSession', timeoutAfterProcessing: 1 });
      await http.patch(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity: 2 });
      // The shopper authorizes what Klarna holds; we cannot know it is our cart.
      const token = await service.klarna.authorize(session.sessionId);
      const refused = await placeOrder(service, cart.id, token);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'REAUTHORIZATION_REQUIRED' });
      expect((await calls('createOrder')).filter((call) => call.path.includes(token))).toHaveLength(0);
    });
  });

  describe('order status only moves forward', () => {
    /** Runs two state writes on two connections in a fixed order of arrival at the order's row lock. */
    async function writeInOrder(
      orderId: string,
      writes: { status: 'placed' | 'confirmed' | 'cancelled'; fraudStatus: string; capturedAmount: number }[],
    ) {
      const prisma = service.app.get(PrismaService);
      const repository = service.app.get(OrderRepository);
      const holder = new pg.Client({ connectionString: testDatabaseUrl() });
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM "order" WHERE id = $1 FOR UPDATE', [orderId]);
      const holderPid = await backendPid(holder);
      const waiting = async (count: number) =>
        eventually(async () => ((await waitingBehind(holder, holderPid)).length >= count ? true : undefined));
      const results: Promise<unknown>[] = [];
      for (const [index, write] of writes.entries()) {
        results.push(prisma.$transaction((tx) => repository.advanceState(tx, orderId, write)));
        await waiting(index + 1);
      }
      await holder.query('COMMIT');
      await holder.end();
      await Promise.all(results);
    }

    const push = { status: 'placed' as const, fraudStatus: 'PENDING', capturedAmount: 0 };
    const rejection = { status: 'cancelled' as const, fraudStatus: 'REJECTED', capturedAmount: 0 };

    it.each([
      ['the push first, then the rejection', [push, rejection]],
      ['the rejection first, then a late push', [rejection, push]],
    ])('ends cancelled and REJECTED when a push and FRAUD_RISK_REJECTED race: %s', async (_order, writes) => {
      const { order } = await placedOrder(service, 'fraud_pending');
      await writeInOrder(order.orderId, writes);
      expect((await http.get<Placement>(`/orders/${order.orderId}`)).body).toMatchObject({
        status: 'cancelled',
        fraudStatus: 'REJECTED',
      });
    });

    it('never reopens a cancelled order on a late ACCEPTED notification, even when Klarna says ACCEPTED', async () => {
      const { cart, order } = await placedOrder(service, 'fraud_pending');
      // Cancelled on our side (as by a cancel through Order Management), while Klarna later accepts the risk.
      await service.database.query(`UPDATE "order" SET status = 'cancelled' WHERE id = $1`, [order.orderId]);
      await service.klarna.control('POST', `/orders/${order.klarnaOrderId}/fraud-decision`, {
        event_type: 'FRAUD_RISK_ACCEPTED',
      });
      const atKlarna = await service.klarna.klarna<{ status: string; fraud_status: string }>(
        'GET',
        `/ordermanagement/v1/orders/${order.klarnaOrderId}`,
      );
      expect(atKlarna.body).toMatchObject({ status: 'AUTHORIZED', fraud_status: 'ACCEPTED' });
      await eventually(async () => {
        const { rows } = await service.database.query(`SELECT processed_at FROM webhook_event WHERE dedupe_key = $1`, [
          `notification:${cart.id}:${order.klarnaOrderId}:FRAUD_RISK_ACCEPTED`,
        ]);
        return rows[0]?.processed_at ? true : undefined;
      });
      expect((await http.get<Placement>(`/orders/${order.orderId}`)).body.status).toBe('cancelled');
    });
  });

  describe('webhook deliveries cannot be poisoned', () => {
    const post = (url: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const pushUrlOf = async (cartId: string) => {
      const [call] = (await calls('createOrder')).filter((candidate) =>
        JSON.stringify(candidate.body.merchant_urls).includes(cartId),
      );
      return (call.body.merchant_urls as { push: string }).push;
    };

    /** A placed order whose push Klarna has not delivered yet. */
    async function placedWithoutPush() {
      const { cart, token } = await authorizedCart(service);
      await service.klarna.control('POST', '/callback-faults', { drop: 1 });
      const placed = await placeOrder(service, cart.id, token);
      expect(placed.status).toBe(201);
      return { cart, order: placed.body };
    }

    it('ignores cart A’s push URL replayed with cart B’s order, without blocking B’s genuine push', async () => {
      const a = await placedOrder(service);
      const b = await placedWithoutPush();
      const replayed = await post((await pushUrlOf(a.cart.id)).replace('{order.id}', b.order.klarnaOrderId!));
      expect(await replayed.json()).toEqual({ status: 'ignored' });
      const { rows } = await service.database.query('SELECT processed_at FROM webhook_event WHERE dedupe_key = $1', [
        `push:${a.cart.id}:${b.order.klarnaOrderId}`,
      ]);
      expect(rows).toEqual([{ processed_at: null }]);
      const genuine = await post((await pushUrlOf(b.cart.id)).replace('{order.id}', b.order.klarnaOrderId!));
      expect(await genuine.json()).toEqual({ status: 'accepted' });
    });

    it('handles a delivery again when its Order Management read failed the first time', async () => {
      const { cart, order } = await placedWithoutPush();
      const url = (await pushUrlOf(cart.id)).replace('{order.id}', order.klarnaOrderId!);
      await fault({ operation: 'getOrder', errorRate: 1, errorStatus: 503 });
      const failed = await post(url);
      expect(failed.status).toBe(503);
      await service.klarna.control('DELETE', '/faults');
      const retried = await post(url);
      expect(await retried.json()).toEqual({ status: 'accepted' });
    });
  });

  describe('Order Management answers decide our state', () => {
    const cancel = (orderId: string, key?: string) =>
      http.post<Placement>(`/orders/${orderId}/cancel`, undefined, {
        ...ops,
        ...(key ? { 'idempotency-key': key } : {}),
      });

    it('records a cancel from its own answer, without reading the order back', async () => {
      const { order } = await placedOrder(service);
      await fault({ operation: 'getOrder', errorRate: 1, errorStatus: 503 });
      const cancelled = await cancel(order.orderId);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      const again = await cancel(order.orderId);
      expect(again.status).toBe(200);
      expect((await calls('cancelOrder')).filter((call) => call.path.includes(order.klarnaOrderId!))).toHaveLength(1);
    });

    it('retries a cancel whose answer was lost with the same Klarna-Idempotency-Key', async () => {
      const { order } = await placedOrder(service);
      await fault({ operation: 'cancelOrder', timeoutAfterProcessing: 1 });
      const cancelled = await cancel(order.orderId, 'cancel-1');
      expect(cancelled.status).toBe(200);
      const keys = (await calls('cancelOrder'))
        .filter((call) => call.path.includes(order.klarnaOrderId!))
        .map((call) => call.headers['klarna-idempotency-key']);
      expect(keys).toHaveLength(2);
      expect(keys[1]).toBe(keys[0]);
    });

    it('answers 503 while Klarna is down and completes with the same Idempotency-Key afterwards', async () => {
      const { order } = await placedOrder(service);
      await fault({ operation: 'cancelOrder', errorRate: 1, errorStatus: 503 });
      const down = await cancel(order.orderId, 'cancel-2');
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ code: 'KLARNA_UNAVAILABLE', correlationId: expect.any(String) });
      await service.klarna.control('DELETE', '/faults');
      expect((await cancel(order.orderId, 'cancel-2')).status).toBe(200);
    });

    it('reads back after Klarna refuses a repeat of a cancel it did under another key', async () => {
      const { order } = await placedOrder(service);
      await fault({ operation: 'cancelOrder', timeoutAfterProcessing: 2 });
      expect((await cancel(order.orderId, 'first')).status).toBe(503);
      const second = await cancel(order.orderId, 'second');
      expect(second.status).toBe(200);
      expect(second.body.status).toBe('cancelled');
    });

    it('maps Klarna’s refusal to KLARNA_REFUSED with its correlation id', async () => {
      const { order } = await placedOrder(service);
      await service.klarna.klarna('POST', `/ordermanagement/v1/orders/${order.klarnaOrderId}/captures`, {
        captured_amount: 100,
      });
      const refused = await cancel(order.orderId);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'KLARNA_REFUSED', correlationId: expect.any(String) });
    });
  });

  describe('Klarna orders we cannot match are kept for ops', () => {
    it('keeps a pushed Klarna order whose merchant_reference1 is no order of ours', async () => {
      const cart = await createCart(http);
      await addItem(http, cart.id);
      const session = await http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
      const [created] = (await calls('createSession')).filter((call) =>
        JSON.stringify(call.body.merchant_urls).includes(cart.id),
      );
      const pushUrl = (created.body.merchant_urls as { authorization: string }).authorization.replace(
        '/authorization?',
        '/push?',
      );
      const { signScope, webhookScope } = await import('../../src/common/url-signature.js');
      const signedPush = new URL(pushUrl);
      signedPush.searchParams.set('sig', signScope(service.config.webhookSecret, webhookScope('push', cart.id)));
      // Someone placed an order on our session that is not ours (a foreign merchant_reference1).
      const token = await service.klarna.authorize(session.body.sessionId);
      const sessionData = (
        await service.klarna.control<{ data: Record<string, unknown> }>('GET', `/sessions/${session.body.sessionId}`)
      ).body.data;
      const foreign = await service.klarna.klarna<{ order_id: string }>(
        'POST',
        `/payments/v1/authorizations/${token}/order`,
        {
          ...sessionData,
          merchant_reference1: 'not-one-of-ours',
          merchant_urls: { push: `${signedPush.toString()}&order_id={order.id}` },
        },
      );
      expect(foreign.status).toBe(200);
      const before = await metric('klarna_orders_unmatched_total{reason="unknown_merchant_reference"}');
      const pushed = await eventually(async () => {
        const callbacks = (
          await service.klarna.control<{ callbacks: { url: string; status?: number }[] }>('GET', '/callbacks')
        ).body.callbacks;
        return callbacks.find((callback) => callback.url.includes(foreign.body.order_id) && callback.status);
      });
      expect(pushed.status).toBe(200);
      const attention = await http.get<{ unmatched: { klarnaOrderId: string; reason: string }[] }>(
        '/ops/attention',
        ops,
      );
      expect(attention.body.unmatched).toContainEqual(
        expect.objectContaining({ klarnaOrderId: foreign.body.order_id, reason: 'unknown_merchant_reference' }),
      );
      expect(await metric('klarna_orders_unmatched_total{reason="unknown_merchant_reference"}')).toBeGreaterThan(
        before,
      );
    });

    it('keeps Klarna’s order id when the write after create order fails, and completes it once the database takes it', async () => {
      const { cart, token } = await authorizedCart(service);
      // The database refuses to record the order for this cart, as a failing disk or a killed connection would.
      await service.database.query(`
        CREATE OR REPLACE FUNCTION test_refuse_placed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.cart_id = '${cart.id}' AND NEW.status = 'placed' THEN RAISE EXCEPTION 'disk full (test)'; END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER test_refuse_placed BEFORE UPDATE ON "order" FOR EACH ROW EXECUTE FUNCTION test_refuse_placed();`);
      try {
        await service.klarna.control('POST', '/callback-faults', { drop: 1 });
        const failed = await placeOrder(service, cart.id, token);
        expect(failed.status).toBe(503);
        expect(failed.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
        const klarnaOrderId = (
          (await calls('createOrder')).find((call) => call.path.includes(token))!.response as {
            order_id: string;
          }
        ).order_id;
        const unmatched = await http.get<{ unmatched: { klarnaOrderId: string; reason: string }[] }>(
          '/ops/attention',
          ops,
        );
        expect(unmatched.body.unmatched).toContainEqual(
          expect.objectContaining({ klarnaOrderId, reason: 'follow_up_write_failed' }),
        );
      } finally {
        await service.database.query('DROP TRIGGER test_refuse_placed ON "order"; DROP FUNCTION test_refuse_placed();');
      }
      const [row] = await ordersOfCart(service, cart.id);
      const placed = await eventually(async () => {
        const order = await http.get<Placement>(`/orders/${row.id}`);
        return order.body.klarnaOrderId ? order.body : undefined;
      });
      const created = (await calls('createOrder')).filter((call) => call.path.includes(token) && call.status === 200);
      expect(new Set(created.map((call) => (call.response as { order_id: string }).order_id))).toEqual(
        new Set([placed.klarnaOrderId]),
      );
      const attention = await http.get<{ unmatched: { klarnaOrderId: string }[] }>('/ops/attention', ops);
      expect(attention.body.unmatched).not.toContainEqual(
        expect.objectContaining({ klarnaOrderId: placed.klarnaOrderId }),
      );
    });
  });
});
