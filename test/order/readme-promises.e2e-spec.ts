import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { anItem } from '../factories/cart.factory.js';
import {
  authorizedCart,
  ordersOfCart,
  placeOrder,
  placedOrder,
  type Placement,
} from '../factories/checkout.factory.js';
import { OrderJobsWorker } from '../../src/order/order-jobs.worker.js';
import { OPS_API_KEY, eventually, startTestApp, type TestApp } from '../support/test-app.js';
import { backendPid, waitingBehind } from '../support/row-locks.js';
import { migratedScratchDatabase } from '../catalog/catalog-test-kit.js';
import { signScope, webhookScope } from '../../src/common/url-signature.js';

/**
 * Promises the README makes that no other suite checks: each test names the README's words it holds the service to.
 */
const ops = { authorization: `Bearer ${OPS_API_KEY}` };

describe('README promises', () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startTestApp({ AUTHORIZATION_CALLBACK_GRACE_MS: '600000', KLARNA_RETRY_MAX_DELAY_MS: '1000' });
  });
  afterAll(() => service.close());
  afterEach(async () => {
    await service.klarna.control('DELETE', '/faults');
    await service.klarna.control('DELETE', '/callback-faults');
  });

  it('GET /orders/:orderId answers 404 ORDER_NOT_FOUND for an order that does not exist', async () => {
    const missing = await service.http.get('/orders/3f1c1b8e-6a0e-4b8e-9a53-2c7a1e0f4d21');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'ORDER_NOT_FOUND' });
  });

  // "placed --> cancelled: FRAUD_RISK_REJECTED / FRAUD_RISK_STOPPED / cancelled; confirmed --> cancelled: … stopped later"
  it.each([
    ['placed (fraud pending)', 'fraud_pending', 'placed'],
    ['confirmed (fraud accepted)', 'approved', 'confirmed'],
  ])('cancels a %s order on FRAUD_RISK_STOPPED', async (_name, outcome, before) => {
    const { order } = await placedOrder(service, outcome);
    await eventually(async () =>
      (await service.http.get<Placement>(`/orders/${order.orderId}`)).body.status === before ? true : undefined,
    );
    const decision = await service.klarna.control('POST', `/orders/${order.klarnaOrderId}/fraud-decision`, {
      event_type: 'FRAUD_RISK_STOPPED',
    });
    expect(decision.status).toBe(200);
    const stopped = await eventually(async () => {
      const read = await service.http.get<Placement>(`/orders/${order.orderId}`);
      return read.body.status === 'cancelled' ? read.body : undefined;
    });
    expect(stopped.fraudStatus).toEqual(expect.stringMatching(/^(REJECTED|STOPPED)$/));
  });

  // "Klarna orders we cannot match (a push whose merchant_reference1 is no order of ours …)": the push is matched by
  // merchant_reference1, never by the cart alone, so cart A's signed URL naming cart B's Klarna order changes nothing.
  it('answers ignored to a valid push for cart A naming cart B’s order, while A’s own placement is still open', async () => {
    const b = await placedOrder(service);
    const a = await authorizedCart(service);
    // Klarna never sees A's create order: A stays placing, with no Klarna order id yet.
    await service.klarna.control('POST', '/faults', { operation: 'createOrder', timeout: true });
    const open = await placeOrder(service, a.cart.id, a.token);
    expect(open.status).toBe(503);
    const push = new URL(`${service.url}/webhooks/klarna/push`);
    push.searchParams.set('cart_id', a.cart.id);
    push.searchParams.set('sig', signScope(service.config.webhookSecret, webhookScope('push', a.cart.id)));
    push.searchParams.set('order_id', b.order.klarnaOrderId!);
    const replayed = await fetch(push, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(replayed.status).toBe(200);
    expect(await replayed.json()).toEqual({ status: 'ignored' });
    const { rows } = await service.database.query('SELECT status, klarna_order_id FROM "order" WHERE cart_id = $1', [
      a.cart.id,
    ]);
    expect(rows).toEqual([{ status: 'placing', klarna_order_id: null }]);
  });

  // "Another token for an ordered cart … answered 409 ALREADY_ORDERED"; the cart answers ORDER_IN_PROGRESS meanwhile.
  it('refuses a cart change while the outcome is open, and accepts it once the placement failed', async () => {
    const { cart, token } = await authorizedCart(service);
    // Every create order refused (another test's background retry may be calling too, so not `failNext`).
    await service.klarna.control('POST', '/faults', { operation: 'createOrder', errorRate: 1, errorStatus: 403 });
    const refused = await placeOrder(service, cart.id, token);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'KLARNA_REJECTED', correlationId: expect.any(String) });
    const change = await service.http.post(`/carts/${cart.id}/items`, await anItem(service.http));
    expect(change.status).toBe(201);
  });
});

describe('README promises: operations endpoints with OPS_API_KEY unset', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp({ OPS_API_KEY: undefined as unknown as string });
  });
  afterAll(() => service.close());

  // "OPS_API_KEY | unset: operations endpoints refuse everyone"
  it.each([
    ['GET', '/ops/attention'],
    ['GET', '/ops/drift'],
    ['POST', '/ops/reconcile'],
    ['GET', '/orders'],
    ['PUT', '/catalog/tax-rates/SE/standard'],
  ])('refuses %s %s with 401 whatever the caller sends', async (method, path) => {
    for (const headers of [{}, ops, { authorization: 'Bearer undefined' }, { authorization: 'Bearer ' }]) {
      const response = await service.http.request(method, path, method === 'GET' ? undefined : {}, headers);
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });
});

describe('README promises: database trouble on a database of its own', () => {
  let service: TestApp;
  let admin: pg.Client;
  beforeAll(async () => {
    const databaseUrl = await migratedScratchDatabase('promises');
    service = await startTestApp({ DATABASE_URL: databaseUrl });
    admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await service.close();
  });

  // "SERVICE_BUSY (no database connection or transaction in time), with Retry-After"
  it('answers 503 SERVICE_BUSY with Retry-After when the database cancels a statement that waited too long', async () => {
    const cart = await service.http.post<{ id: string }>('/carts', {
      purchaseCountry: 'SE',
      purchaseCurrency: 'SEK',
      locale: 'sv-SE',
    });
    const item = await anItem(service.http);
    await admin.query('BEGIN');
    await admin.query('SELECT 1 FROM cart WHERE id = $1 FOR UPDATE', [cart.body.id]);
    const waiting = service.http.post(`/carts/${cart.body.id}/items`, item);
    const adminPid = await backendPid(admin);
    const pid = await eventually(async () => (await waitingBehind(admin, adminPid))[0]);
    await admin.query('SELECT pg_cancel_backend($1)', [pid]);
    const busy = await waiting;
    await admin.query('ROLLBACK');
    expect(busy.status).toBe(503);
    expect(busy.body).toEqual({ code: 'SERVICE_BUSY', message: expect.any(String) });
    expect(busy.headers.get('retry-after')).toEqual(expect.stringMatching(/^\d+$/));
  });

  // "unknown errors are logged once and answer 500 without internals"
  it('answers an unexpected error with 500 INTERNAL_ERROR and nothing of the driver, the SQL or the schema', async () => {
    const { order } = await placedOrder(service);
    await admin.query('ALTER TABLE "order" RENAME COLUMN order_lines TO order_lines_gone');
    try {
      const broken = await service.http.get(`/orders/${order.orderId}`);
      expect(broken.status).toBe(500);
      expect(broken.body).toEqual({ code: 'INTERNAL_ERROR', message: 'Internal server error' });
    } finally {
      await admin.query('ALTER TABLE "order" RENAME COLUMN order_lines_gone TO order_lines');
    }
    expect((await service.http.get(`/orders/${order.orderId}`)).status).toBe(200);
  });
});

describe('README promises: open placements on a database of their own', () => {
  let service: TestApp;
  const warnings: Record<string, unknown>[] = [];
  beforeAll(async () => {
    // Alone on its database: the sweep and its gauge see every placement of the database, and only ours are here.
    service = await startTestApp({
      DATABASE_URL: await migratedScratchDatabase('stuck'),
      KLARNA_RETRY_MAX_DELAY_MS: '1000',
    });
    // The service's log lines, through Nest's logger interface (LOG_LEVEL is silent in the tests).
    const record = (message: unknown) =>
      void (typeof message === 'object' && warnings.push(message as Record<string, unknown>));
    service.app.useLogger({ log: () => undefined, error: () => undefined, warn: record });
  });
  afterAll(() => service.close());

  const metric = async (name: string) => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    const line = text.split('\n').find((row) => row.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };

  // "Placements open for over a minute are logged (order.stuck_placing, gauge orders_stuck_placing)"
  it('logs and counts a placement open for over a minute, and not one that has just started', async () => {
    await service.klarna.control('POST', '/faults', { operation: 'createOrder', timeout: true });
    const placeUnanswered = async () => {
      const { cart, token } = await authorizedCart(service);
      expect((await placeOrder(service, cart.id, token)).status).toBe(503);
      return (await ordersOfCart(service, cart.id))[0].id as string;
    };
    const old = await placeUnanswered();
    const fresh = await placeUnanswered();
    // A minute and a half ago, as far as the service can tell.
    await service.database.query(`UPDATE "order" SET created_at = now() - interval '90 seconds' WHERE id = $1`, [old]);

    await service.app.get(OrderJobsWorker).sweep();

    const stuck = warnings.filter((line) => line.event === 'order.stuck_placing');
    expect(stuck).toContainEqual(expect.objectContaining({ orderId: old }));
    expect(stuck).not.toContainEqual(expect.objectContaining({ orderId: fresh }));
    expect(await metric('orders_stuck_placing')).toBe(1);
    // Both are still placing: the gauge counts stuck ones, not open ones.
    const { rows } = await service.database.query(`SELECT status FROM "order" WHERE id = ANY($1::uuid[])`, [
      [old, fresh],
    ]);
    expect(rows).toEqual([{ status: 'placing' }, { status: 'placing' }]);
  });
});
