import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { authorizedCart, placeOrder, placedOrder } from '../factories/checkout.factory.js';
import type { HttpClient } from '../support/http.js';
import { OPS_API_KEY, eventually, startTestApp, type TestApp } from '../support/test-app.js';

const ops = { authorization: `Bearer ${OPS_API_KEY}` };
const withKey = (key: string) => ({ ...ops, 'idempotency-key': key });
const DAY_MS = 86_400_000;

interface OrderView {
  orderId: string;
  klarnaOrderId: string;
  status: string;
  klarnaStatus: string | null;
  orderAmount: number;
  capturedAmount: number;
  refundedAmount: number;
  remainingAuthorizedAmount: number;
  expiresAt: string | null;
}
interface CaptureView {
  id: string;
  klarnaCaptureId: string;
  capturedAmount: number;
  shippingInfo: Record<string, unknown>[];
  operationId: string | null;
}
interface RefundView {
  id: string;
  klarnaRefundId: string;
  refundedAmount: number;
}
interface SimOrder {
  status: string;
  captured_amount: number;
  refunded_amount: number;
  expires_at: string;
  captures: { capture_id: string; shipping_info: Record<string, unknown>[] }[];
  refunds: { refund_id: string }[];
  shipping_address: Record<string, unknown>;
  merchant_reference1: string;
  merchant_reference2?: string;
}

/**
 * Order Management after the order (issue 12): every operation and every refusal over HTTP, with faults injected
 * in the Klarna simulator and assertions on what Klarna received and holds.
 */
describe('order management: capture, refund, extend, release, references', () => {
  let service: TestApp;
  let http: HttpClient;

  const fault = (rule: Record<string, unknown>) => service.klarna.control('POST', '/faults', rule);
  const callsFor = async (operation: string, klarnaOrderId: string) =>
    (await service.klarnaCalls(operation)).filter((call) => call.path.includes(klarnaOrderId));
  const simOrder = async (klarnaOrderId: string) =>
    (await service.klarna.control<SimOrder>('GET', `/orders/${klarnaOrderId}`)).body;
  const getOrder = async (orderId: string) => (await http.get<OrderView>(`/orders/${orderId}`)).body;
  const operationRows = async (orderId: string) =>
    (
      await service.database.query<{ kind: string; status: string }>(
        'SELECT kind, status FROM order_operation WHERE order_id = $1',
        [orderId],
      )
    ).rows;
  const metric = async (name: string) => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    return text
      .split('\n')
      .filter((row) => row.startsWith(name))
      .reduce((sum, row) => sum + Number(row.split(' ').pop()), 0);
  };

  /** A placed, accepted order whose push was read (Klarna's status and expiry known). */
  async function anOrder(outcome = 'approved'): Promise<OrderView> {
    const { order } = await placedOrder(service, outcome);
    return eventually(async () => {
      const view = await getOrder(order.orderId);
      return view.expiresAt ? view : undefined;
    });
  }
  const capture = (orderId: string, body: Record<string, unknown>, key?: string) =>
    http.post<CaptureView & { code?: string; message?: string }>(
      `/orders/${orderId}/captures`,
      body,
      key ? withKey(key) : ops,
    );
  const refund = (orderId: string, body: Record<string, unknown>, key?: string) =>
    http.post<RefundView & { code?: string; message?: string }>(
      `/orders/${orderId}/refunds`,
      body,
      key ? withKey(key) : ops,
    );

  beforeAll(async () => {
    service = await startTestApp({ AUTHORIZATION_CALLBACK_GRACE_MS: '600000', KLARNA_RETRY_MAX_DELAY_MS: '1000' });
    ({ http } = service);
  });
  afterAll(() => service.close());
  afterEach(async () => {
    await service.klarna.control('DELETE', '/faults');
    await service.klarna.control('POST', '/clock', { now: new Date().toISOString() });
  });

  it('refuses callers without the operations key', async () => {
    const order = await anOrder();
    for (const [method, path] of [
      ['POST', 'captures'],
      ['GET', 'captures'],
      ['POST', 'refunds'],
      ['POST', 'extend-authorization'],
      ['POST', 'release-remaining-authorization'],
      ['PATCH', 'shipping-address'],
      ['PATCH', 'merchant-references'],
      ['GET', 'operations'],
    ]) {
      expect(
        (await http.request(method, `/orders/${order.orderId}/${path}`, method === 'GET' ? undefined : {})).status,
      ).toBe(401);
    }
    expect((await http.get('/orders')).status).toBe(401);
    expect((await http.get('/ops/drift')).status).toBe(401);
  });

  describe('captures', () => {
    it('captures part of the order and then the rest, following Klarna’s status and amounts', async () => {
      const order = await anOrder();
      expect(order).toMatchObject({
        klarnaStatus: 'authorized',
        capturedAmount: 0,
        remainingAuthorizedAmount: order.orderAmount,
      });
      const first = await capture(order.orderId, { amount: 30_000, reference: 'shipment-1' });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        capturedAmount: 30_000,
        klarnaCaptureId: expect.any(String),
        operationId: expect.any(String),
      });
      expect(await getOrder(order.orderId)).toMatchObject({
        klarnaStatus: 'part_captured',
        capturedAmount: 30_000,
        remainingAuthorizedAmount: order.orderAmount - 30_000,
      });
      const rest = await capture(order.orderId, { amount: order.orderAmount - 30_000 });
      expect(rest.status).toBe(201);
      expect(await getOrder(order.orderId)).toMatchObject({
        klarnaStatus: 'captured',
        capturedAmount: order.orderAmount,
        remainingAuthorizedAmount: 0,
      });

      const calls = await callsFor('captureOrder', order.klarnaOrderId);
      expect(calls.map((call) => call.body)).toEqual([
        { captured_amount: 30_000, reference: 'shipment-1' },
        { captured_amount: order.orderAmount - 30_000 },
      ]);
      const operations = (await http.get<{ id: string; kind: string }[]>(`/orders/${order.orderId}/operations`, ops))
        .body;
      // Each operation's id is its Klarna-Idempotency-Key.
      expect(calls.map((call) => call.headers['klarna-idempotency-key'])).toEqual(
        operations.map((operation) => operation.id),
      );
      expect((await simOrder(order.klarnaOrderId)).captures.map((each) => each.capture_id)).toEqual([
        first.body.klarnaCaptureId,
        rest.body.klarnaCaptureId,
      ]);
      const listed = await http.get<CaptureView[]>(`/orders/${order.orderId}/captures`, ops);
      expect(listed.body.map((each) => each.id)).toEqual([first.body.id, rest.body.id]);
    });

    it('refuses locally, naming the rule, without calling Klarna or writing anything', async () => {
      const order = await anOrder();
      const tooMuch = await capture(order.orderId, { amount: order.orderAmount + 1 });
      expect(tooMuch.status).toBe(409);
      expect(tooMuch.body).toMatchObject({
        code: 'ORDER_NOT_CAPTURABLE',
        message: expect.stringContaining(`remaining authorized amount (${order.orderAmount})`),
      });
      expect((await http.post(`/orders/${order.orderId}/cancel`, undefined, ops)).status).toBe(200);
      const cancelled = await capture(order.orderId, { amount: 100 });
      expect(cancelled.status).toBe(409);
      expect(cancelled.body).toMatchObject({
        code: 'ORDER_NOT_CAPTURABLE',
        message: expect.stringContaining('cancelled'),
      });
      expect(await callsFor('captureOrder', order.klarnaOrderId)).toHaveLength(0);
      expect((await operationRows(order.orderId)).map((row) => row.kind)).toEqual(['cancel']);

      const full = await anOrder();
      expect((await capture(full.orderId, { amount: full.orderAmount })).status).toBe(201);
      const again = await capture(full.orderId, { amount: 1 });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({
        code: 'ORDER_NOT_CAPTURABLE',
        message: expect.stringContaining('fully captured'),
      });
      expect(await callsFor('captureOrder', full.klarnaOrderId)).toHaveLength(1);
    });

    it('refuses a capture of an order Klarna has not accepted yet (fraud status PENDING)', async () => {
      const order = await anOrder('fraud_pending');
      const response = await capture(order.orderId, { amount: 100 });
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({
        code: 'ORDER_NOT_CAPTURABLE',
        message: expect.stringContaining('PENDING'),
      });
      expect(await callsFor('captureOrder', order.klarnaOrderId)).toHaveLength(0);
    });

    it('refuses lines that do not add up to the amount (400 naming the field), writing nothing', async () => {
      const order = await anOrder();
      const line = { reference: 'SKU-1', name: 'Shoe', quantity: 1, unitPrice: 10_000, taxRate: 2500 };
      const response = await capture(order.orderId, { amount: 9_000, orderLines: [line] });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'amount' }] });
      expect((await capture(order.orderId, { amount: 0 })).status).toBe(400);
      expect(await operationRows(order.orderId)).toEqual([]);
      const matching = await capture(order.orderId, { amount: 10_000, orderLines: [line] });
      expect(matching.status).toBe(201);
      const [call] = await callsFor('captureOrder', order.klarnaOrderId);
      expect(call.body.order_lines).toEqual([
        expect.objectContaining({ reference: 'SKU-1', total_amount: 10_000, total_tax_amount: 2000, tax_rate: 2500 }),
      ]);
    });

    it('maps Klarna’s 403 CAPTURE_NOT_ALLOWED to KLARNA_REFUSED and keeps the refused operation', async () => {
      const order = await anOrder();
      // Captured in the Merchant Portal behind our back: locally the whole amount still looks capturable.
      await service.klarna.control('POST', `/orders/${order.klarnaOrderId}/change`, { capture_amount: 1000 });
      const response = await capture(order.orderId, { amount: order.orderAmount }, 'too-much');
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: 'KLARNA_REFUSED', correlationId: expect.any(String) });
      expect(response.body.message).toContain('CAPTURE_NOT_ALLOWED');
      expect(await operationRows(order.orderId)).toEqual([{ kind: 'capture', status: 'refused' }]);
      // The same key stays refused without asking Klarna again.
      expect((await capture(order.orderId, { amount: order.orderAmount }, 'too-much')).status).toBe(409);
      expect(await callsFor('captureOrder', order.klarnaOrderId)).toHaveLength(1);
    });

    it('retries a capture whose answer was lost with the same key: exactly one capture at Klarna', async () => {
      const order = await anOrder();
      await fault({ operation: 'captureOrder', timeoutAfterProcessing: 1 });
      const response = await capture(order.orderId, { amount: 5000 });
      expect(response.status).toBe(201);
      const calls = await callsFor('captureOrder', order.klarnaOrderId);
      expect(calls).toHaveLength(2);
      expect(calls[1].headers['klarna-idempotency-key']).toBe(calls[0].headers['klarna-idempotency-key']);
      const klarnaSide = await simOrder(order.klarnaOrderId);
      expect(klarnaSide.captures).toHaveLength(1);
      expect(klarnaSide.captured_amount).toBe(5000);
      expect(response.body.klarnaCaptureId).toBe(klarnaSide.captures[0].capture_id);
      expect((await getOrder(order.orderId)).capturedAmount).toBe(5000);
    });

    it('answers 503 when every answer is lost, and the background job completes the capture with the same key', async () => {
      const order = await anOrder();
      await fault({ operation: 'captureOrder', cutConnectionAfterProcessing: 2 });
      const response = await capture(order.orderId, { amount: 7000 }, 'lost-twice');
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ code: 'KLARNA_UNAVAILABLE' });
      expect(await operationRows(order.orderId)).toEqual([{ kind: 'capture', status: 'unknown' }]);
      await eventually(async () => ((await operationRows(order.orderId))[0].status === 'succeeded' ? true : undefined));
      expect((await getOrder(order.orderId)).capturedAmount).toBe(7000);
      const keys = (await callsFor('captureOrder', order.klarnaOrderId)).map(
        (call) => call.headers['klarna-idempotency-key'],
      );
      expect(keys.length).toBeGreaterThanOrEqual(3);
      expect(new Set(keys).size).toBe(1);
      expect((await simOrder(order.klarnaOrderId)).captures).toHaveLength(1);
      // The caller's retry with the same key now gets the capture.
      const retried = await capture(order.orderId, { amount: 7000 }, 'lost-twice');
      expect(retried.status).toBe(201);
      expect(retried.body.capturedAmount).toBe(7000);
    });

    it('answers a repeat with the same Idempotency-Key with the same capture, and another body with 422', async () => {
      const order = await anOrder();
      const first = await capture(order.orderId, { amount: 2000 }, 'cap-1');
      const repeat = await capture(order.orderId, { amount: 2000 }, 'cap-1');
      expect(repeat.status).toBe(201);
      expect(repeat.body.id).toBe(first.body.id);
      const reused = await capture(order.orderId, { amount: 2500 }, 'cap-1');
      expect(reused.status).toBe(422);
      expect(reused.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
      expect(await callsFor('captureOrder', order.klarnaOrderId)).toHaveLength(1);
      expect((await getOrder(order.orderId)).capturedAmount).toBe(2000);
    });

    it('sends shipping info with the capture and adds tracking later', async () => {
      const order = await anOrder();
      const created = await capture(order.orderId, {
        amount: 1000,
        shippingInfo: [{ shippingCompany: 'DHL SE', shippingMethod: 'Home', trackingNumber: 'T-1' }],
      });
      expect(created.status).toBe(201);
      const [call] = await callsFor('captureOrder', order.klarnaOrderId);
      expect(call.body.shipping_info).toEqual([
        { shipping_company: 'DHL SE', shipping_method: 'Home', tracking_number: 'T-1' },
      ]);
      const added = await http.post<CaptureView>(
        `/orders/${order.orderId}/captures/${created.body.id}/shipping-info`,
        {
          shippingInfo: [
            { shippingCompany: 'PostNord', trackingNumber: 'T-2', trackingUri: 'https://track.example/T-2' },
          ],
        },
        ops,
      );
      expect(added.status).toBe(200);
      expect(added.body.shippingInfo.map((info) => info.trackingNumber)).toEqual(['T-1', 'T-2']);
      expect(
        (await simOrder(order.klarnaOrderId)).captures[0].shipping_info.map((info) => info.tracking_number),
      ).toEqual(['T-1', 'T-2']);
      const badMethod = await http.post(
        `/orders/${order.orderId}/captures/${created.body.id}/shipping-info`,
        { shippingInfo: [{ shippingCompany: 'X', trackingNumber: '1', shippingMethod: 'Teleport' }] },
        ops,
      );
      expect(badMethod.status).toBe(400);
      const unknown = await http.post(
        `/orders/${order.orderId}/captures/${order.orderId}/shipping-info`,
        { shippingInfo: [{ shippingCompany: 'X', trackingNumber: '1' }] },
        ops,
      );
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ code: 'CAPTURE_NOT_FOUND' });
    });
  });

  describe('refunds', () => {
    it('makes two equal partial refunds two refunds, and a retry with the same key one', async () => {
      const order = await anOrder();
      await capture(order.orderId, { amount: 10_000 });
      const first = await refund(order.orderId, { amount: 1500, description: 'Returned socks' }, 'refund-a');
      const second = await refund(order.orderId, { amount: 1500, description: 'Returned socks' }, 'refund-b');
      const repeat = await refund(order.orderId, { amount: 1500, description: 'Returned socks' }, 'refund-a');
      expect([first.status, second.status, repeat.status]).toEqual([201, 201, 201]);
      expect(repeat.body.id).toBe(first.body.id);
      expect(second.body.klarnaRefundId).not.toBe(first.body.klarnaRefundId);
      const calls = await callsFor('refundOrder', order.klarnaOrderId);
      expect(calls).toHaveLength(2);
      expect(new Set(calls.map((call) => call.headers['klarna-idempotency-key'])).size).toBe(2);
      expect((await simOrder(order.klarnaOrderId)).refunded_amount).toBe(3000);
      expect(await getOrder(order.orderId)).toMatchObject({ capturedAmount: 10_000, refundedAmount: 3000 });
      expect((await http.get<RefundView[]>(`/orders/${order.orderId}/refunds`, ops)).body).toHaveLength(2);
    });

    it('never refunds more than captured minus refunded (ORDER_NOT_REFUNDABLE), without calling Klarna', async () => {
      const order = await anOrder();
      const nothing = await refund(order.orderId, { amount: 100 });
      expect(nothing.status).toBe(409);
      expect(nothing.body).toMatchObject({
        code: 'ORDER_NOT_REFUNDABLE',
        message: expect.stringContaining('nothing was captured'),
      });
      await capture(order.orderId, { amount: 5000 });
      await refund(order.orderId, { amount: 4000 });
      const over = await refund(order.orderId, { amount: 1001 });
      expect(over.status).toBe(409);
      expect(over.body).toMatchObject({ code: 'ORDER_NOT_REFUNDABLE', message: expect.stringContaining('(1000)') });
      expect(await callsFor('refundOrder', order.klarnaOrderId)).toHaveLength(1);
    });

    it('maps Klarna’s REFUND_NOT_ALLOWED (“Over refund is not allowed”) to KLARNA_REFUSED', async () => {
      const order = await anOrder();
      await capture(order.orderId, { amount: 5000 });
      await service.klarna.control('POST', `/orders/${order.klarnaOrderId}/change`, { refund_amount: 4000 });
      const response = await refund(order.orderId, { amount: 2000 });
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({
        code: 'KLARNA_REFUSED',
        message: expect.stringContaining('Over refund is not allowed'),
      });
    });

    it('retries a refund whose connection was cut after Klarna made it: one refund at Klarna', async () => {
      const order = await anOrder();
      await capture(order.orderId, { amount: 5000 });
      await fault({ operation: 'refundOrder', cutConnectionAfterProcessing: 1 });
      const response = await refund(order.orderId, { amount: 2500 });
      expect(response.status).toBe(201);
      expect((await simOrder(order.klarnaOrderId)).refunds).toHaveLength(1);
      expect((await getOrder(order.orderId)).refundedAmount).toBe(2500);
    });
  });

  describe('extend and release the authorization', () => {
    it('extends the authorization by Klarna’s clock and shows the new expiry', async () => {
      const order = await anOrder();
      await service.klarna.control('POST', '/clock', { advanceMs: 20 * DAY_MS });
      const extended = await http.post<OrderView>(`/orders/${order.orderId}/extend-authorization`, undefined, ops);
      expect(extended.status).toBe(200);
      const klarnaSide = await simOrder(order.klarnaOrderId);
      expect(extended.body.expiresAt).toBe(klarnaSide.expires_at);
      expect(Date.parse(extended.body.expiresAt!) - Date.parse(order.expiresAt!)).toBeGreaterThan(19 * DAY_MS);
      expect(await callsFor('extendAuthorizationTime', order.klarnaOrderId)).toHaveLength(1);
    });

    it('refuses to extend beyond 180 days locally, and an expired authorization through Klarna’s 403', async () => {
      const order = await anOrder();
      const created = Date.parse(
        (await service.klarna.control<{ created_at: string }>('GET', `/orders/${order.klarnaOrderId}`)).body.created_at,
      );
      await service.klarna.control('POST', `/orders/${order.klarnaOrderId}/change`, {
        expires_at: new Date(created + 180 * DAY_MS).toISOString(),
      });
      await http.post('/ops/reconcile', undefined, ops);
      const capped = await http.post(`/orders/${order.orderId}/extend-authorization`, undefined, ops);
      expect(capped.status).toBe(409);
      expect(capped.body).toMatchObject({ code: 'ORDER_NOT_MODIFIABLE', message: expect.stringContaining('180 days') });
      expect(await callsFor('extendAuthorizationTime', order.klarnaOrderId)).toHaveLength(0);

      const lapsed = await anOrder();
      await service.klarna.control('POST', '/clock', { advanceMs: 29 * DAY_MS });
      const refused = await http.post(`/orders/${lapsed.orderId}/extend-authorization`, undefined, ops);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'KLARNA_REFUSED', message: expect.stringContaining('NOT_ALLOWED') });
    });

    it('releases the rest of the authorization only after a partial capture', async () => {
      const order = await anOrder();
      const early = await http.post(`/orders/${order.orderId}/release-remaining-authorization`, undefined, ops);
      expect(early.status).toBe(409);
      expect(early.body).toMatchObject({
        code: 'ORDER_NOT_MODIFIABLE',
        message: expect.stringContaining('cancel the order instead'),
      });
      await capture(order.orderId, { amount: 40_000 });
      const released = await http.post<OrderView>(
        `/orders/${order.orderId}/release-remaining-authorization`,
        undefined,
        ops,
      );
      expect(released.status).toBe(200);
      expect(released.body).toMatchObject({
        klarnaStatus: 'closed',
        capturedAmount: 40_000,
        remainingAuthorizedAmount: 0,
      });
      expect((await simOrder(order.klarnaOrderId)).status).toBe('CLOSED');
      const more = await capture(order.orderId, { amount: 1 });
      expect(more.status).toBe(409);
      expect(more.body).toMatchObject({ code: 'ORDER_NOT_CAPTURABLE', message: expect.stringContaining('closed') });
      // Refunds of what was captured stay possible.
      expect((await refund(order.orderId, { amount: 1000 })).status).toBe(201);
    });

    it('maps Klarna’s refusal to release a cancelled order (changed behind our back) to KLARNA_REFUSED', async () => {
      const order = await anOrder();
      await capture(order.orderId, { amount: 1000 });
      await service.klarna.control('POST', `/orders/${order.klarnaOrderId}/change`, { status: 'CANCELLED' });
      const response = await http.post(`/orders/${order.orderId}/release-remaining-authorization`, undefined, ops);
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({
        code: 'KLARNA_REFUSED',
        message: expect.stringContaining('Can not release when order is cancelled'),
      });
    });
  });

  describe('shipping address and merchant references', () => {
    it('changes the shipping address at Klarna (customer-details)', async () => {
      const order = await anOrder();
      const address = {
        givenName: 'Ada',
        familyName: 'Lovelace',
        streetAddress: 'Sveavägen 1',
        postalCode: '11157',
        city: 'Stockholm',
        country: 'SE',
      };
      const response = await http.patch<OrderView>(`/orders/${order.orderId}/shipping-address`, address, ops);
      expect(response.status).toBe(200);
      const [call] = await callsFor('updateCustomerDetails', order.klarnaOrderId);
      expect(call.body).toEqual({
        shipping_address: {
          given_name: 'Ada',
          family_name: 'Lovelace',
          street_address: 'Sveavägen 1',
          postal_code: '11157',
          city: 'Stockholm',
          country: 'SE',
        },
      });
      expect((await simOrder(order.klarnaOrderId)).shipping_address).toMatchObject({ city: 'Stockholm' });
      // The operation keeps no address once Klarna answered (the fingerprint still recognises a repeat).
      const [operation] = (await http.get<{ request: unknown }[]>(`/orders/${order.orderId}/operations`, ops)).body;
      expect(JSON.stringify(operation.request)).not.toContain('Ada');
      const incomplete = await http.patch(`/orders/${order.orderId}/shipping-address`, { givenName: 'Ada' }, ops);
      expect(incomplete.status).toBe(400);
      expect(incomplete.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: expect.arrayContaining([expect.objectContaining({ field: 'city' })]),
      });
    });

    it('sets merchant reference 2 and never lets merchant reference 1 move off our order id', async () => {
      const order = await anOrder();
      const path = `/orders/${order.orderId}/merchant-references`;
      const moved = await http.patch(path, { merchantReference1: 'ERP-1', merchantReference2: 'INV-1' }, ops);
      expect(moved.status).toBe(400);
      expect(moved.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'merchantReference1' }] });
      const set = await http.patch(path, { merchantReference2: 'INV-7' }, ops);
      expect(set.status).toBe(200);
      const klarnaSide = await simOrder(order.klarnaOrderId);
      expect(klarnaSide).toMatchObject({ merchant_reference1: order.orderId, merchant_reference2: 'INV-7' });
      const [call] = await callsFor('updateMerchantReferences', order.klarnaOrderId);
      expect(call.body).toEqual({ merchant_reference2: 'INV-7' });
    });
  });

  describe('reading', () => {
    it('lists orders for ops, newest first, page by page with a cursor', async () => {
      const from = new Date(Date.now() - 1000).toISOString();
      const ids: string[] = [];
      for (let index = 0; index < 3; index++) ids.push((await anOrder()).orderId);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `createdFrom=${encodeURIComponent(from)}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await http.get<{ orders: OrderView[]; nextCursor: string | null }>(`/orders?${query}`, ops);
        expect(page.status).toBe(200);
        expect(page.body.orders.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.orders.map((each) => each.orderId));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(new Set(seen).size).toBe(seen.length);
      const ours = seen.filter((id) => ids.includes(id));
      expect(ours).toEqual([...ids].reverse());
      const captured = await http.get<{ orders: OrderView[] }>(
        `/orders?klarnaStatus=captured&createdFrom=${encodeURIComponent(from)}`,
        ops,
      );
      expect(captured.body.orders.every((each) => each.klarnaStatus === 'captured')).toBe(true);
      expect((await http.get('/orders?cursor=nonsense', ops)).status).toBe(400);
      expect((await http.get('/orders?limit=1000', ops)).status).toBe(400);
      expect((await http.get('/orders?status=shipped', ops)).status).toBe(400);
    });

    it('lists every operation with its status, Klarna result and correlation id', async () => {
      const order = await anOrder();
      const captured = await capture(order.orderId, { amount: 1000 });
      await refund(order.orderId, { amount: 2000 });
      const operations = await http.get<Record<string, unknown>[]>(`/orders/${order.orderId}/operations`, ops);
      expect(operations.body).toEqual([
        expect.objectContaining({
          kind: 'capture',
          status: 'succeeded',
          result: expect.objectContaining({ klarnaCaptureId: captured.body.klarnaCaptureId }),
          correlationId: expect.any(String),
          attempts: 1,
        }),
      ]);
    });

    it('shows the storefront status and amounts, no personal data', async () => {
      const order = await anOrder();
      await capture(order.orderId, { amount: 1000 });
      const view = await http.get<Record<string, unknown>>(`/orders/${order.orderId}`);
      expect(view.body).toMatchObject({ klarnaStatus: 'part_captured', capturedAmount: 1000, refundedAmount: 0 });
      expect(JSON.stringify(view.body)).not.toMatch(/shipping_?[aA]ddress|email|givenName/);
    });
  });

  describe('reconciliation', () => {
    it('corrects an order changed behind our back forward and lists the drift', async () => {
      const order = await anOrder();
      const before = await metric('order_drift_total');
      await service.klarna.control('POST', `/orders/${order.klarnaOrderId}/change`, {
        capture_amount: 30_000,
        refund_amount: 10_000,
      });
      const run = await http.post<{ checked: number; drifted: number }>('/ops/reconcile', undefined, ops);
      expect(run.status).toBe(200);
      expect(run.body.drifted).toBeGreaterThanOrEqual(1);
      expect(await getOrder(order.orderId)).toMatchObject({
        klarnaStatus: 'part_captured',
        capturedAmount: 30_000,
        refundedAmount: 10_000,
      });
      const captures = (await http.get<CaptureView[]>(`/orders/${order.orderId}/captures`, ops)).body;
      expect(captures).toEqual([expect.objectContaining({ capturedAmount: 30_000, operationId: null })]);
      const drift = (await http.get<{ drift: Record<string, unknown>[] }>('/ops/drift', ops)).body.drift.filter(
        (row) => row.orderId === order.orderId,
      );
      expect(drift).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            field: 'klarnaStatus',
            ours: 'authorized',
            klarna: 'part_captured',
            applied: true,
          }),
          expect.objectContaining({ field: 'capturedAmount', ours: '0', klarna: '30000', applied: true }),
          expect.objectContaining({ field: 'refundedAmount', ours: '0', klarna: '10000', applied: true }),
        ]),
      );
      expect(drift).toHaveLength(3);
      // Other orders of this suite may drift in the same run: at least these three were counted.
      expect(await metric('order_drift_total')).toBeGreaterThanOrEqual(before + 3);
      // A second run finds nothing new.
      await http.post('/ops/reconcile', undefined, ops);
      expect(
        (await http.get<{ drift: Record<string, unknown>[] }>('/ops/drift', ops)).body.drift.filter(
          (row) => row.orderId === order.orderId,
        ),
      ).toHaveLength(3);
    });

    it('records a difference backwards but never applies it', async () => {
      const order = await anOrder();
      await capture(order.orderId, { amount: 2000 });
      await service.klarna.control('POST', `/orders/${order.klarnaOrderId}/change`, { status: 'AUTHORIZED' });
      await http.post('/ops/reconcile', undefined, ops);
      // Still there on the next run: recorded once, not every hour.
      await http.post('/ops/reconcile', undefined, ops);
      expect((await getOrder(order.orderId)).klarnaStatus).toBe('part_captured');
      const drift = (await http.get<{ drift: Record<string, unknown>[] }>('/ops/drift', ops)).body.drift.filter(
        (row) => row.orderId === order.orderId,
      );
      expect(drift).toEqual([
        expect.objectContaining({ field: 'klarnaStatus', ours: 'part_captured', klarna: 'authorized', applied: false }),
      ]);
    });

    it('learns an expiry by the simulator’s clock: the order is expired, and captures are refused locally', async () => {
      const order = await anOrder();
      await service.klarna.control('POST', '/clock', { advanceMs: 29 * DAY_MS });
      expect((await simOrder(order.klarnaOrderId)).status).toBe('EXPIRED');
      await http.post('/ops/reconcile', undefined, ops);
      expect(await getOrder(order.orderId)).toMatchObject({
        klarnaStatus: 'expired',
        status: 'cancelled',
        remainingAuthorizedAmount: 0,
      });
      const refused = await capture(order.orderId, { amount: 100 });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'ORDER_NOT_CAPTURABLE', message: expect.stringContaining('expired') });
      expect(await callsFor('captureOrder', order.klarnaOrderId)).toHaveLength(0);
    });

    it('counts and lists open orders whose authorization lapses within 3 days uncaptured', async () => {
      const order = await anOrder();
      await capture(order.orderId, { amount: 1000 });
      await service.klarna.control('POST', `/orders/${order.klarnaOrderId}/change`, {
        expires_at: new Date(Date.now() + 2 * DAY_MS).toISOString(),
      });
      const run = await http.post<{ expiringUncaptured: { orderId: string; remainingAuthorizedAmount: number }[] }>(
        '/ops/reconcile',
        undefined,
        ops,
      );
      expect(run.body.expiringUncaptured).toEqual(
        expect.arrayContaining([
          {
            orderId: order.orderId,
            klarnaOrderId: order.klarnaOrderId,
            expiresAt: expect.any(String),
            remainingAuthorizedAmount: order.orderAmount - 1000,
          },
        ]),
      );
      expect(await metric('orders_expiring_uncaptured')).toBeGreaterThanOrEqual(1);
    });
  });

  describe('money rows in SQL', () => {
    it('refuses to delete a capture or refund, or shrink a refunded amount, from any code path', async () => {
      const order = await anOrder();
      await capture(order.orderId, { amount: 3000 });
      await refund(order.orderId, { amount: 1000 });
      const { database } = service;
      await expect(database.query('DELETE FROM order_capture WHERE order_id = $1', [order.orderId])).rejects.toThrow(
        /never deleted/,
      );
      await expect(database.query('DELETE FROM order_refund WHERE order_id = $1', [order.orderId])).rejects.toThrow(
        /never deleted/,
      );
      await expect(
        database.query('UPDATE "order" SET refunded_amount = 0 WHERE id = $1', [order.orderId]),
      ).rejects.toThrow(/cannot shrink/);
      await expect(
        database.query(`UPDATE "order" SET klarna_status = 'authorized' WHERE id = $1`, [order.orderId]),
      ).rejects.toThrow(/cannot move/);
      await expect(
        database.query('UPDATE "order" SET refunded_amount = 5000 WHERE id = $1', [order.orderId]),
      ).rejects.toThrow(/order_refund_within_capture/);
    });
  });

  describe('automatic capture', () => {
    it('does not ask Klarna to capture at once by default (KLARNA_AUTO_CAPTURE=none)', async () => {
      const { cart, token } = await authorizedCart(service);
      expect((await placeOrder(service, cart.id, token)).status).toBe(201);
      const [call] = (await service.klarnaCalls('createOrder')).filter((each) => each.path.includes(token));
      expect(call.body).not.toHaveProperty('auto_capture');
    });
  });
});

describe('order management with KLARNA_AUTO_CAPTURE=all', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp({ AUTHORIZATION_CALLBACK_GRACE_MS: '600000', KLARNA_AUTO_CAPTURE: 'all' });
  });
  afterAll(() => service.close());

  it('sends auto_capture on create order and takes Klarna’s capture from the push', async () => {
    const { order } = await placedOrder(service);
    const [call] = (await service.klarnaCalls('createOrder')).slice(-1);
    expect(call.body).toMatchObject({ auto_capture: true });
    const view = await eventually(async () => {
      const current = (await service.http.get<OrderView>(`/orders/${order.orderId}`)).body;
      return current.klarnaStatus === 'captured' ? current : undefined;
    });
    expect(view).toMatchObject({ capturedAmount: view.orderAmount, remainingAuthorizedAmount: 0 });
    const captures = await service.http.get<CaptureView[]>(`/orders/${order.orderId}/captures`, ops);
    expect(captures.body).toEqual([expect.objectContaining({ capturedAmount: view.orderAmount, operationId: null })]);
  });
});
