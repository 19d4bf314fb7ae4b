import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { authorizedCart, placeOrder, placedOrder } from '../factories/checkout.factory.js';
import type { HttpClient } from '../support/http.js';
import { OPS_API_KEY, eventually, startTestApp, type TestApp } from '../support/test-app.js';
import { migratedScratchDatabase } from '../catalog/catalog-test-kit.js';
import { MerchantReceiver, aWebhookSecret, type Arrival } from './merchant-receiver.js';

const ops = { authorization: `Bearer ${OPS_API_KEY}` };

interface EventView {
  id: string;
  orderId: string;
  type: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  lastAnswer: { status: number | null; error: string | null; body: string | null } | null;
  replays: number;
  body: Arrival['body'];
}

/**
 * Order events to the merchant's systems (issue 19): a receiving stub verifies every delivery with the
 * `standardwebhooks` library; faults of the receiver (failures, slowness, being down) and of Klarna (through the
 * simulator) must never lose, duplicate without the same webhook-id, or reorder an order's events.
 */
describe("order events to the merchant's systems", () => {
  let service: TestApp;
  let http: HttpClient;
  let receiver: MerchantReceiver;

  const eventsOf = async (orderId: string) =>
    (await http.get<{ events: EventView[] }>(`/events?orderId=${orderId}`, ops)).body.events;
  /** Waits until every event of the order is delivered, and returns them in their order. */
  const allDelivered = (orderId: string, count: number, timeoutMs = 20_000) =>
    eventually(async () => {
      const events = await eventsOf(orderId);
      return events.length === count && events.every((event) => event.status === 'delivered') ? events : undefined;
    }, timeoutMs);
  /** A placed order whose push was read: placed and confirmed are written. */
  const confirmedOrder = async () => {
    const { order, cart } = await placedOrder(service);
    await eventually(async () => ((await eventsOf(order.orderId)).length >= 2 ? true : undefined));
    return { order, cart };
  };

  beforeAll(async () => {
    const secret = aWebhookSecret();
    receiver = await MerchantReceiver.start(secret);
    service = await startTestApp({
      // A database of its own: every instance on a database delivers all of its events, and the suites running
      // beside this one write orders too.
      DATABASE_URL: await migratedScratchDatabase('events'),
      AUTHORIZATION_CALLBACK_GRACE_MS: '600000',
      KLARNA_RETRY_MAX_DELAY_MS: '1000',
      MERCHANT_WEBHOOK_URL: receiver.url,
      MERCHANT_WEBHOOK_SECRET: secret,
      MERCHANT_WEBHOOK_TIMEOUT_MS: '500',
      MERCHANT_WEBHOOK_RETRY_BASE_MS: '50',
      MERCHANT_WEBHOOK_POLL_MS: '100',
    });
    ({ http } = service);
  });
  afterAll(async () => {
    await service.close();
    await receiver.close();
  });
  afterEach(async () => {
    receiver.react = () => ({ status: 200 });
    await service.klarna.control('DELETE', '/faults');
    expect(receiver.forged).toEqual([]);
  });

  it('tells the order system of each change, signed, in order: placed, confirmed, amended, captured, refunded', async () => {
    const { order } = await confirmedOrder();
    expect((await http.patch(`/orders/${order.orderId}/authorization`, { orderAmount: 40_000 }, ops)).status).toBe(200);
    expect((await http.post(`/orders/${order.orderId}/captures`, { amount: 10_000 }, ops)).status).toBe(201);
    expect((await http.post(`/orders/${order.orderId}/refunds`, { amount: 2500 }, ops)).status).toBe(201);

    const events = await allDelivered(order.orderId, 5);
    expect(events.map((event) => event.type)).toEqual([
      'order.placed',
      'order.confirmed',
      'order.amended',
      'order.captured',
      'order.refunded',
    ]);
    const accepted = receiver.accepted(order.orderId);
    expect(accepted.map((arrival) => arrival.id)).toEqual(events.map((event) => event.id));
    expect(accepted.map((arrival) => arrival.body)).toEqual(events.map((event) => event.body));
    const [placed, , amended, captured, refunded] = accepted.map((arrival) => arrival.body);
    expect(placed).toMatchObject({
      type: 'order.placed',
      timestamp: expect.any(String),
      data: {
        orderId: order.orderId,
        klarnaOrderId: order.klarnaOrderId,
        status: 'placed',
        fraudStatus: 'ACCEPTED',
        currency: 'SEK',
        amounts: { orderAmount: expect.any(Number), capturedAmount: 0, refundedAmount: 0 },
        lines: [expect.objectContaining({ reference: expect.any(String), quantity: expect.any(Number) })],
      },
    });
    expect(placed.data).not.toHaveProperty('shippingAddress');
    expect(amended.data).toMatchObject({ amounts: { orderAmount: 40_000 }, previousOrderAmount: expect.any(Number) });
    expect(captured.data).toMatchObject({ capture: { amount: 10_000 }, amounts: { capturedAmount: 10_000 } });
    expect(refunded.data).toMatchObject({ refund: { amount: 2500 }, amounts: { refundedAmount: 2500 } });
    expect(events.every((event) => event.lastAnswer?.status === 200)).toBe(true);
  });

  it('tells of a fraud rejection as order.cancelled, and of nothing Klarna refused', async () => {
    const { order } = await placedOrder(service, 'fraud_pending');
    await service.klarna.control('POST', `/orders/${order.klarnaOrderId}/fraud-decision`, {
      event_type: 'FRAUD_RISK_REJECTED',
    });
    await service.klarna.control('POST', '/faults', { operation: 'captureOrder', failNext: 5, errorStatus: 403 });
    await allDelivered(order.orderId, 2);
    expect((await http.post(`/orders/${order.orderId}/captures`, { amount: 100 }, ops)).status).toBeGreaterThanOrEqual(
      400,
    );
    const accepted = receiver.accepted(order.orderId);
    expect(accepted.map((arrival) => arrival.type)).toEqual(['order.placed', 'order.cancelled']);
    expect(accepted[0].body.data).toMatchObject({ fraudStatus: 'PENDING', status: 'placed' });
    expect(accepted[1].body.data).toMatchObject({
      status: 'cancelled',
      previousStatus: 'placed',
      fraudStatus: 'REJECTED',
    });
  });

  it('tells of a capture whose Klarna answer was lost exactly once, after the retry settled it', async () => {
    const { order } = await confirmedOrder();
    await service.klarna.control('POST', '/faults', {
      operation: 'captureOrder',
      cutConnectionAfterProcessing: 1,
    });
    const answer = await http.post(`/orders/${order.orderId}/captures`, { amount: 3000 }, ops);
    expect([201, 202, 503]).toContain(answer.status);
    const events = await allDelivered(order.orderId, 3);
    expect(events.map((event) => event.type)).toEqual(['order.placed', 'order.confirmed', 'order.captured']);
    expect(events[2].body.data).toMatchObject({ capture: { amount: 3000 } });
  });

  it('writes no event for a change that rolled back', async () => {
    const { order } = await confirmedOrder();
    await allDelivered(order.orderId, 2);
    await service.database.query('BEGIN');
    await service.database.query(`UPDATE "order" SET captured_amount = 5000, status = 'cancelled' WHERE id = $1`, [
      order.orderId,
    ]);
    const inside = await service.database.query('SELECT type FROM order_event WHERE order_id = $1', [order.orderId]);
    expect(inside.rows.map((row: { type: string }) => row.type)).toContain('order.captured');
    await service.database.query('ROLLBACK');
    // A later change that commits goes out next: had the rolled-back one been kept, it would have come first.
    expect((await http.post(`/orders/${order.orderId}/cancel`, undefined, ops)).status).toBe(200);
    const events = await allDelivered(order.orderId, 3);
    expect(events.map((event) => event.type)).toEqual(['order.placed', 'order.confirmed', 'order.cancelled']);
    expect(receiver.accepted(order.orderId).map((arrival) => arrival.type)).toEqual([
      'order.placed',
      'order.confirmed',
      'order.cancelled',
    ]);
  });

  it('delivers every event of every order, in order per order, through failures, slowness and an outage', async () => {
    // Faults per delivery: every order.placed fails twice, every order.confirmed answers after the timeout once.
    const faultOf = (type: string) => ['order.placed', 'order.confirmed'].indexOf(type);
    receiver.react = ({ type, attempt }) => {
      const fault = faultOf(type);
      if (fault === 0 && attempt <= 2) return { status: attempt === 1 ? 500 : 503 };
      if (fault === 1 && attempt === 1) return { status: 200, delayMs: 1500 };
      return { status: 200 };
    };
    const orders = await Promise.all([0, 1, 2, 3].map(() => placedOrder(service).then(({ order }) => order)));
    await eventually(async () => (receiver.arrivals.length > 0 ? true : undefined));
    await receiver.down();
    // Changes keep coming while the receiver is down: they wait, and go out in their order.
    for (const order of orders) {
      expect((await http.post(`/orders/${order.orderId}/captures`, { amount: 1000 }, ops)).status).toBe(201);
    }
    await eventually(async () => {
      const { rows } = await service.database.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM order_event WHERE last_error IS NOT NULL AND last_status IS NULL`,
      );
      return rows[0].n > 0 ? true : undefined;
    });
    await receiver.up();

    for (const order of orders) {
      const events = await allDelivered(order.orderId, 3, 30_000);
      expect(events.map((event) => event.type)).toEqual(['order.placed', 'order.confirmed', 'order.captured']);
      const arrivals = receiver.of(order.orderId);
      // Every event arrived, and the receiver took them in the outbox's order.
      expect(receiver.accepted(order.orderId).map((arrival) => arrival.id)).toEqual(events.map((event) => event.id));
      // No event was sent before the one before it was taken: each order's arrivals are grouped by event, in order.
      const firstAcceptance = (id: string) =>
        arrivals.findIndex((arrival) => arrival.id === id && arrival.answered === 200);
      for (let index = 1; index < events.length; index++) {
        const firstTry = arrivals.findIndex((arrival) => arrival.id === events[index].id);
        expect(firstTry).toBeGreaterThan(firstAcceptance(events[index - 1].id));
      }
      // Retries carry the same webhook-id: the ones that failed were tried again under it.
      for (const event of events) {
        const tries = arrivals.filter((arrival) => arrival.id === event.id);
        if (faultOf(event.type) === 0) expect(tries.length).toBeGreaterThanOrEqual(3);
        // A 200 that came after MERCHANT_WEBHOOK_TIMEOUT_MS is not a delivery: it was sent again.
        if (faultOf(event.type) === 1) expect(tries.length).toBeGreaterThanOrEqual(2);
        expect(event.attempts).toBeGreaterThanOrEqual(tries.length);
      }
    }
    const retried = receiver.arrivals.filter((arrival) => arrival.answered !== 200);
    expect(retried.some((arrival) => arrival.answered === 500)).toBe(true);
  }, 60_000);

  it('keeps every event: its status only moves forward, enforced in SQL', async () => {
    const { order } = await confirmedOrder();
    const [placed] = await allDelivered(order.orderId, 2);
    const attempt = (sql: string) =>
      service.database.query(sql, [placed.id]).then(
        () => 'accepted',
        (error: { code?: string }) => error.code,
      );
    expect(await attempt(`UPDATE order_event SET status = 'dead' WHERE id = $1`)).toBe('23514');
    expect(await attempt(`UPDATE order_event SET status = 'pending' WHERE id = $1`)).toBe('23514');
    expect(await attempt(`UPDATE order_event SET type = 'order.cancelled' WHERE id = $1`)).toBe('23514');
    expect(await attempt(`DELETE FROM order_event WHERE id = $1`)).toBe('23001');
    expect(await attempt(`UPDATE order_event SET status = 'lost', replays = replays + 1 WHERE id = $1`)).toBe('23514');
  });

  it('lists events with their attempts and last answer, page by page, for ops only', async () => {
    const { order } = await confirmedOrder();
    receiver.react = ({ attempt }) => (attempt === 1 ? { status: 503 } : { status: 204 });
    expect((await http.post(`/orders/${order.orderId}/captures`, { amount: 500 }, ops)).status).toBe(201);
    const events = await allDelivered(order.orderId, 3);
    const captured = events[2];
    expect(captured).toMatchObject({
      type: 'order.captured',
      attempts: 2,
      lastAnswer: { status: 204, error: null },
    });

    const first = await http.get<{ events: EventView[]; nextCursor: string }>(
      `/events?orderId=${order.orderId}&limit=2`,
      ops,
    );
    expect(first.body.events.map((event) => event.id)).toEqual(events.slice(0, 2).map((event) => event.id));
    const second = await http.get<{ events: EventView[]; nextCursor: string | null }>(
      `/events?orderId=${order.orderId}&limit=2&cursor=${first.body.nextCursor}`,
      ops,
    );
    expect(second.body).toEqual({ events: [expect.objectContaining({ id: captured.id })], nextCursor: null });
    expect((await http.get(`/events/${captured.id}`, ops)).body).toMatchObject({
      id: captured.id,
      status: 'delivered',
    });

    expect((await http.get('/events')).status).toBe(401);
    expect((await http.post(`/events/${captured.id}/redeliver`)).status).toBe(401);
    const badStatus = await http.get<{ code: string; errors: { field: string }[] }>('/events?status=lost', ops);
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.errors[0].field).toBe('status');
    expect((await http.get<{ code: string }>('/events?cursor=abc', ops)).body.code).toBe('VALIDATION_FAILED');
    const missing = await http.post<{ code: string }>(
      '/events/00000000-0000-4000-8000-000000000000/redeliver',
      undefined,
      ops,
    );
    expect(missing).toMatchObject({ status: 404, body: { code: 'EVENT_NOT_FOUND' } });
    expect((await http.post('/events/redeliver?status=delivered', undefined, ops)).status).toBe(400);
  });

  it('delivers an event again on request, with the same webhook-id', async () => {
    const { order } = await confirmedOrder();
    const [placed] = await allDelivered(order.orderId, 2);
    const replay = await http.post<EventView>(`/events/${placed.id}/redeliver`, undefined, ops);
    expect(replay).toMatchObject({ status: 202, body: { id: placed.id, status: 'pending', replays: 1 } });
    await eventually(async () =>
      receiver.of(order.orderId).filter((a) => a.id === placed.id).length === 2 ? true : undefined,
    );
    await allDelivered(order.orderId, 2);
    const again = receiver.of(order.orderId).filter((arrival) => arrival.id === placed.id);
    expect(again[1].body).toEqual(again[0].body);
  });

  it('exposes the backlog, the age of the oldest undelivered event and the attempts as metrics', async () => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(text).toMatch(/^merchant_events_backlog \d+/m);
    expect(text).toMatch(/^merchant_events_oldest_pending_age_seconds [\d.e+-]+/m);
    expect(text).toMatch(/^merchant_events_dead \d+/m);
    expect(text).toMatch(/^merchant_event_attempts_total\{outcome="delivered"\} [1-9]/m);
    expect(text).toMatch(/^merchant_event_attempts_total\{outcome="failed"\} [1-9]/m);
  });

  it('writes the events of a placement the storefront never heard back from', async () => {
    const { cart, token } = await authorizedCart(service);
    await service.klarna.control('POST', '/faults', {
      operation: 'createOrder',
      cutConnectionAfterProcessing: 3,
    });
    await placeOrder(service, cart.id, token);
    const { rows } = await eventually(async () => {
      const result = await service.database.query<{ id: string }>(
        `SELECT id FROM "order" WHERE cart_id = $1 AND status IN ('placed', 'confirmed')`,
        [cart.id],
      );
      return result.rows.length === 1 ? result : undefined;
    });
    const events = await allDelivered(rows[0].id, 2);
    expect(events.map((event) => event.type)).toEqual(['order.placed', 'order.confirmed']);
  });
});
