import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startKlarnaSimulator, type KlarnaSimulator } from '../../src/klarna-simulator/klarna-simulator.js';
import { HOUR_MS, SimulatorClient, mugs, sessionBody, shipping } from './simulator-test-kit.js';

const orders = '/ordermanagement/v1/orders';

describe('Klarna simulator: Order Management API', () => {
  let simulator: KlarnaSimulator;
  let klarna: SimulatorClient;

  beforeAll(async () => {
    simulator = await startKlarnaSimulator();
    klarna = new SimulatorClient(simulator);
  });
  afterAll(() => simulator.close());
  beforeEach(async () => {
    await klarna.control('POST', '/reset');
  });

  const getOrder = async (orderId: string): Promise<Record<string, unknown>> =>
    (await klarna.klarna('GET', `${orders}/${orderId}`)).body;

  describe('get order', () => {
    it('returns the OM order with amounts, lines, references and a 28-day expiry', async () => {
      const orderId = await klarna.placeOrder({ merchant_reference1: 'ref-1', merchant_reference2: 'ref-2' });
      const answer = await klarna.klarna('GET', `${orders}/${orderId}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        order_id: orderId,
        status: 'AUTHORIZED',
        fraud_status: 'ACCEPTED',
        order_amount: 12390,
        original_order_amount: 12390,
        captured_amount: 0,
        refunded_amount: 0,
        remaining_authorized_amount: 12390,
        purchase_currency: 'EUR',
        purchase_country: 'DE',
        locale: 'de-DE',
        order_lines: [mugs(), shipping()],
        merchant_reference1: 'ref-1',
        merchant_reference2: 'ref-2',
        captures: [],
        klarna_reference: expect.any(String),
      });
      const lifetime = Date.parse(answer.body.expires_at as string) - Date.parse(answer.body.created_at as string);
      expect(lifetime).toBe(28 * 24 * HOUR_MS);
    });

    it('answers 404 NO_SUCH_ORDER for an unknown order', async () => {
      const answer = await klarna.klarna('GET', `${orders}/nope`);
      expect(answer.status).toBe(404);
      expect(answer.body.error_code).toBe('NO_SUCH_ORDER');
    });

    it('shows an uncaptured order as EXPIRED after 28 days and refuses to capture it', async () => {
      const orderId = await klarna.placeOrder();
      await klarna.control('POST', '/clock', { advanceMs: 28 * 24 * HOUR_MS });
      expect(await getOrder(orderId)).toMatchObject({ status: 'EXPIRED', remaining_authorized_amount: 0 });
      const capture = await klarna.klarna('POST', `${orders}/${orderId}/captures`, { captured_amount: 100 });
      expect(capture.status).toBe(403);
      expect(capture.body.error_code).toBe('CAPTURE_NOT_ALLOWED');
    });
  });

  describe('update authorization', () => {
    it('lowers the amount and replaces the lines (204)', async () => {
      const orderId = await klarna.placeOrder();
      const answer = await klarna.klarna('PATCH', `${orders}/${orderId}/authorization`, {
        order_amount: 11900,
        order_lines: [mugs()],
      });
      expect(answer.status).toBe(204);
      expect(await getOrder(orderId)).toMatchObject({
        order_amount: 11900,
        original_order_amount: 12390,
        order_lines: [mugs()],
        remaining_authorized_amount: 11900,
      });
    });

    it('deletes the lines when none are sent', async () => {
      const orderId = await klarna.placeOrder();
      expect((await klarna.klarna('PATCH', `${orders}/${orderId}/authorization`, { order_amount: 12000 })).status).toBe(
        204,
      );
      expect(await getOrder(orderId)).toMatchObject({ order_amount: 12000, order_lines: [] });
    });

    it('increases the amount unless increases are refused', async () => {
      const orderId = await klarna.placeOrder();
      const lines = [mugs(), shipping(), { ...shipping(), name: 'Express' }];
      expect(
        (
          await klarna.klarna('PATCH', `${orders}/${orderId}/authorization`, {
            order_amount: 12880,
            order_lines: lines,
          })
        ).status,
      ).toBe(204);
      await klarna.control('POST', `/orders/${orderId}/refuse-increases`, { refuse: true });
      const refused = await klarna.klarna('PATCH', `${orders}/${orderId}/authorization`, { order_amount: 20000 });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ error_code: 'NOT_ALLOWED' });
      // Decreases are still possible while increases are refused.
      expect((await klarna.klarna('PATCH', `${orders}/${orderId}/authorization`, { order_amount: 100 })).status).toBe(
        204,
      );
    });

    it('refuses lines that do not add up to order_amount', async () => {
      const orderId = await klarna.placeOrder();
      const answer = await klarna.klarna('PATCH', `${orders}/${orderId}/authorization`, {
        order_amount: 12000,
        order_lines: [mugs()],
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error_code: 'BAD_VALUE', error_messages: ['Bad value: order_amount'] });
    });

    it('refuses a line whose tax is wrong', async () => {
      const orderId = await klarna.placeOrder();
      const answer = await klarna.klarna('PATCH', `${orders}/${orderId}/authorization`, {
        order_amount: 11900,
        order_lines: [{ ...mugs(), total_tax_amount: 0 }],
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: order_lines[0].total_tax_amount']);
    });

    it('refuses a negative amount through the spec', async () => {
      const orderId = await klarna.placeOrder();
      const answer = await klarna.klarna('PATCH', `${orders}/${orderId}/authorization`, { order_amount: -1 });
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: order_amount']);
    });

    it('refuses an amount below the captured amount with 403 NOT_ALLOWED', async () => {
      const orderId = await klarna.placeOrder();
      expect((await klarna.klarna('POST', `${orders}/${orderId}/captures`, { captured_amount: 5000 })).status).toBe(
        201,
      );
      const answer = await klarna.klarna('PATCH', `${orders}/${orderId}/authorization`, { order_amount: 4999 });
      expect(answer.status).toBe(403);
      expect(answer.body.error_code).toBe('NOT_ALLOWED');
      expect((await klarna.klarna('PATCH', `${orders}/${orderId}/authorization`, { order_amount: 5000 })).status).toBe(
        204,
      );
      expect(await getOrder(orderId)).toMatchObject({ status: 'CAPTURED', remaining_authorized_amount: 0 });
    });

    it('refuses to update a captured, cancelled or expired order', async () => {
      const captured = await klarna.placeOrder({}, { auto_capture: true });
      const cancelled = await klarna.placeOrder();
      await klarna.klarna('POST', `${orders}/${cancelled}/cancel`);
      for (const orderId of [captured, cancelled]) {
        const answer = await klarna.klarna('PATCH', `${orders}/${orderId}/authorization`, { order_amount: 100 });
        expect(answer.status).toBe(403);
        expect(answer.body.error_code).toBe('NOT_ALLOWED');
      }
      const expiring = await klarna.placeOrder();
      await klarna.control('POST', '/clock', { advanceMs: 29 * 24 * HOUR_MS });
      expect((await klarna.klarna('PATCH', `${orders}/${expiring}/authorization`, { order_amount: 100 })).status).toBe(
        403,
      );
    });
  });

  describe('cancel', () => {
    it('cancels an uncaptured order (204), and a second cancel answers 403 CANCEL_NOT_ALLOWED', async () => {
      const orderId = await klarna.placeOrder();
      expect((await klarna.klarna('POST', `${orders}/${orderId}/cancel`)).status).toBe(204);
      expect(await getOrder(orderId)).toMatchObject({ status: 'CANCELLED', remaining_authorized_amount: 0 });
      const again = await klarna.klarna('POST', `${orders}/${orderId}/cancel`);
      expect(again.status).toBe(403);
      expect(again.body.error_code).toBe('CANCEL_NOT_ALLOWED');
    });

    it('refuses to cancel an order with captures', async () => {
      const orderId = await klarna.placeOrder();
      await klarna.klarna('POST', `${orders}/${orderId}/captures`, { captured_amount: 100 });
      const answer = await klarna.klarna('POST', `${orders}/${orderId}/cancel`);
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({
        error_code: 'CANCEL_NOT_ALLOWED',
        error_messages: ['Order has previous captures'],
      });
    });
  });

  describe('captures', () => {
    it('captures part of the order: 201 with Capture-Id and Location, status PART_CAPTURED', async () => {
      const orderId = await klarna.placeOrder();
      const answer = await klarna.klarna('POST', `${orders}/${orderId}/captures`, {
        captured_amount: 11900,
        order_lines: [mugs()],
        reference: 'shipment-1',
      });
      expect(answer.status).toBe(201);
      const captureId = answer.headers.get('capture-id');
      expect(captureId).toBeTruthy();
      expect(answer.headers.get('location')).toBe(`${simulator.url}${orders}/${orderId}/captures/${captureId}`);
      expect(await getOrder(orderId)).toMatchObject({
        status: 'PART_CAPTURED',
        captured_amount: 11900,
        remaining_authorized_amount: 490,
        captures: [expect.objectContaining({ capture_id: captureId, captured_amount: 11900, reference: 'shipment-1' })],
      });
      const capture = await klarna.klarna('GET', `${orders}/${orderId}/captures/${captureId}`);
      expect(capture.body).toMatchObject({ capture_id: captureId, order_lines: [mugs()] });
    });

    it('captures the rest: status CAPTURED', async () => {
      const orderId = await klarna.placeOrder();
      await klarna.klarna('POST', `${orders}/${orderId}/captures`, { captured_amount: 12000 });
      expect((await klarna.klarna('POST', `${orders}/${orderId}/captures`, { captured_amount: 390 })).status).toBe(201);
      expect(await getOrder(orderId)).toMatchObject({ status: 'CAPTURED', captured_amount: 12390 });
    });

    it('refuses more than the remaining authorized amount with 403 CAPTURE_NOT_ALLOWED', async () => {
      const orderId = await klarna.placeOrder();
      const answer = await klarna.klarna('POST', `${orders}/${orderId}/captures`, { captured_amount: 12391 });
      expect(answer.status).toBe(403);
      expect(answer.body.error_code).toBe('CAPTURE_NOT_ALLOWED');
    });

    it('refuses to capture a cancelled order', async () => {
      const orderId = await klarna.placeOrder();
      await klarna.klarna('POST', `${orders}/${orderId}/cancel`);
      const answer = await klarna.klarna('POST', `${orders}/${orderId}/captures`, { captured_amount: 100 });
      expect(answer.status).toBe(403);
      expect(answer.body.error_code).toBe('CAPTURE_NOT_ALLOWED');
    });

    it('refuses capture lines that do not add up to captured_amount', async () => {
      const orderId = await klarna.placeOrder();
      const answer = await klarna.klarna('POST', `${orders}/${orderId}/captures`, {
        captured_amount: 100,
        order_lines: [mugs()],
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: captured_amount']);
    });

    it('refuses to capture a PENDING order until Klarna accepts it', async () => {
      const sessionId = await klarna.createSession();
      const token = await klarna.authorize(sessionId, 'fraud_pending');
      const created = await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, sessionBody());
      const orderId = created.body.order_id as string;
      expect((await klarna.klarna('POST', `${orders}/${orderId}/captures`, { captured_amount: 100 })).status).toBe(403);
      await klarna.control('POST', `/orders/${orderId}/fraud-decision`, { event_type: 'FRAUD_RISK_ACCEPTED' });
      expect((await klarna.klarna('POST', `${orders}/${orderId}/captures`, { captured_amount: 100 })).status).toBe(201);
    });
  });

  describe('idempotency', () => {
    it('executes a capture once for a repeated Klarna-Idempotency-Key and repeats the first answer', async () => {
      const orderId = await klarna.placeOrder();
      const headers = { 'Klarna-Idempotency-Key': 'capture-key-1' };
      const first = await klarna.klarna('POST', `${orders}/${orderId}/captures`, { captured_amount: 1000 }, headers);
      // Only the key matters, not the body.
      const second = await klarna.klarna('POST', `${orders}/${orderId}/captures`, { captured_amount: 2000 }, headers);
      expect(second.status).toBe(201);
      expect(second.headers.get('capture-id')).toBe(first.headers.get('capture-id'));
      expect(await getOrder(orderId)).toMatchObject({ captured_amount: 1000, captures: [expect.anything()] });
      const other = await klarna.klarna(
        'POST',
        `${orders}/${orderId}/captures`,
        { captured_amount: 2000 },
        {
          'Klarna-Idempotency-Key': 'capture-key-2',
        },
      );
      expect(other.headers.get('capture-id')).not.toBe(first.headers.get('capture-id'));
      expect(await getOrder(orderId)).toMatchObject({ captured_amount: 3000 });
    });

    it('repeats the first answer of a cancel instead of 403 on a retry with the same key', async () => {
      const orderId = await klarna.placeOrder();
      const headers = { 'Klarna-Idempotency-Key': 'cancel-key' };
      expect((await klarna.klarna('POST', `${orders}/${orderId}/cancel`, undefined, headers)).status).toBe(204);
      expect((await klarna.klarna('POST', `${orders}/${orderId}/cancel`, undefined, headers)).status).toBe(204);
      expect((await klarna.klarna('POST', `${orders}/${orderId}/cancel`)).status).toBe(403);
    });

    it('keeps keys apart per operation and order', async () => {
      const first = await klarna.placeOrder();
      const second = await klarna.placeOrder();
      const headers = { 'Klarna-Idempotency-Key': 'same-key' };
      await klarna.klarna('PATCH', `${orders}/${first}/authorization`, { order_amount: 5000 }, headers);
      await klarna.klarna('PATCH', `${orders}/${second}/authorization`, { order_amount: 6000 }, headers);
      await klarna.klarna('POST', `${orders}/${first}/captures`, { captured_amount: 100 }, headers);
      expect(await getOrder(first)).toMatchObject({ order_amount: 5000, captured_amount: 100 });
      expect(await getOrder(second)).toMatchObject({ order_amount: 6000 });
    });
  });
  describe('refunds, release, extend, shipping info, addresses and references', () => {
    const DAY_MS = 24 * HOUR_MS;

    it('refunds at most what was captured: 201 with Refund-Id, then 403 REFUND_NOT_ALLOWED', async () => {
      const orderId = await klarna.placeOrder();
      await klarna.klarna('POST', `${orders}/${orderId}/captures`, { captured_amount: 5000 });
      const first = await klarna.klarna('POST', `${orders}/${orderId}/refunds`, { refunded_amount: 2000 });
      const second = await klarna.klarna('POST', `${orders}/${orderId}/refunds`, { refunded_amount: 2000 });
      expect([first.status, second.status]).toEqual([201, 201]);
      const refundId = first.headers.get('refund-id');
      expect(refundId).toBeTruthy();
      expect(second.headers.get('refund-id')).not.toBe(refundId);
      expect(first.headers.get('location')).toBe(`${simulator.url}${orders}/${orderId}/refunds/${refundId}`);
      expect(await getOrder(orderId)).toMatchObject({
        refunded_amount: 4000,
        refunds: [expect.objectContaining({ refund_id: refundId }), expect.anything()],
        captures: [expect.objectContaining({ refunded_amount: 4000 })],
      });
      expect((await klarna.klarna('GET', `${orders}/${orderId}/refunds/${refundId}`)).body).toMatchObject({
        refunded_amount: 2000,
      });
      const over = await klarna.klarna('POST', `${orders}/${orderId}/refunds`, { refunded_amount: 1001 });
      expect(over.status).toBe(403);
      expect(over.body).toMatchObject({
        error_code: 'REFUND_NOT_ALLOWED',
        error_messages: ['Over refund is not allowed'],
      });
    });

    it('releases the rest after a partial capture (CLOSED), and refuses it before any capture', async () => {
      const orderId = await klarna.placeOrder();
      const early = await klarna.klarna('POST', `${orders}/${orderId}/release-remaining-authorization`);
      expect(early.status).toBe(403);
      expect(early.body).toMatchObject({
        error_code: 'NOT_ALLOWED',
        error_messages: ['Can not release when order has no captures'],
      });
      await klarna.klarna('POST', `${orders}/${orderId}/captures`, { captured_amount: 100 });
      expect((await klarna.klarna('POST', `${orders}/${orderId}/release-remaining-authorization`)).status).toBe(204);
      expect(await getOrder(orderId)).toMatchObject({ status: 'CLOSED', remaining_authorized_amount: 0 });
      expect((await klarna.klarna('POST', `${orders}/${orderId}/captures`, { captured_amount: 100 })).status).toBe(403);
    });

    it('extends the authorization by the clock up to 180 days, never once expired', async () => {
      const orderId = await klarna.placeOrder();
      const created = Date.parse(String((await getOrder(orderId)).created_at));
      await klarna.control('POST', '/clock', { advanceMs: 20 * DAY_MS });
      expect((await klarna.klarna('POST', `${orders}/${orderId}/extend-authorization-time`)).status).toBe(204);
      expect(Date.parse(String((await getOrder(orderId)).expires_at))).toBeGreaterThanOrEqual(
        created + 48 * DAY_MS - 1000,
      );
      for (let step = 0; step < 7; step++) {
        await klarna.control('POST', '/clock', { advanceMs: 25 * DAY_MS });
        await klarna.klarna('POST', `${orders}/${orderId}/extend-authorization-time`);
      }
      expect(Date.parse(String((await getOrder(orderId)).expires_at))).toBe(created + 180 * DAY_MS);
      const capped = await klarna.klarna('POST', `${orders}/${orderId}/extend-authorization-time`);
      expect(capped.status).toBe(403);
      const lapsed = await klarna.placeOrder();
      await klarna.control('POST', '/clock', { advanceMs: 29 * DAY_MS });
      const refused = await klarna.klarna('POST', `${orders}/${lapsed}/extend-authorization-time`);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ error_code: 'NOT_ALLOWED' });
    });

    it('adds shipping info to a capture, and answers NO_SUCH_CAPTURE for another', async () => {
      const orderId = await klarna.placeOrder();
      const capture = await klarna.klarna('POST', `${orders}/${orderId}/captures`, {
        captured_amount: 100,
        shipping_info: [{ shipping_company: 'DHL', tracking_number: '1' }],
      });
      const captureId = capture.headers.get('capture-id');
      const added = await klarna.klarna('POST', `${orders}/${orderId}/captures/${captureId}/shipping-info`, {
        shipping_info: [{ shipping_company: 'PostNord', tracking_number: '2', shipping_method: 'Home' }],
      });
      expect(added.status).toBe(204);
      const listed = await klarna.klarna<{ shipping_info: { tracking_number: string }[] }>(
        'GET',
        `${orders}/${orderId}/captures/${captureId}`,
      );
      expect(listed.body.shipping_info.map((info) => info.tracking_number)).toEqual(['1', '2']);
      const badMethod = await klarna.klarna('POST', `${orders}/${orderId}/captures/${captureId}/shipping-info`, {
        shipping_info: [{ shipping_method: 'Teleport' }],
      });
      expect(badMethod.status).toBe(400);
      const unknown = await klarna.klarna('POST', `${orders}/${orderId}/captures/nope/shipping-info`, {
        shipping_info: [{}],
      });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ error_code: 'NO_SUCH_CAPTURE' });
    });

    it('replaces addresses and merchant references', async () => {
      const orderId = await klarna.placeOrder();
      const address = {
        given_name: 'Ada',
        street_address: 'Sveavägen 1',
        postal_code: '11157',
        city: 'Stockholm',
        country: 'SE',
      };
      expect(
        (await klarna.klarna('PATCH', `${orders}/${orderId}/customer-details`, { shipping_address: address })).status,
      ).toBe(204);
      expect(
        (await klarna.klarna('PATCH', `${orders}/${orderId}/merchant-references`, { merchant_reference2: 'INV-1' }))
          .status,
      ).toBe(204);
      expect(await getOrder(orderId)).toMatchObject({ shipping_address: address, merchant_reference2: 'INV-1' });
    });

    it('changes an order behind the merchant’s back through the control endpoint', async () => {
      const orderId = await klarna.placeOrder();
      const changed = await klarna.control('POST', `/orders/${orderId}/change`, {
        capture_amount: 300,
        refund_amount: 100,
      });
      expect(changed.status).toBe(200);
      expect(await getOrder(orderId)).toMatchObject({
        status: 'PART_CAPTURED',
        captured_amount: 300,
        refunded_amount: 100,
      });
      expect((await klarna.control('POST', `/orders/${orderId}/change`, {})).status).toBe(400);
    });

    it('honours an idempotency key for 24 hours of simulated time', async () => {
      const orderId = await klarna.placeOrder();
      const headers = { 'Klarna-Idempotency-Key': 'refund-key' };
      await klarna.klarna('POST', `${orders}/${orderId}/captures`, { captured_amount: 5000 });
      const first = await klarna.klarna('POST', `${orders}/${orderId}/refunds`, { refunded_amount: 100 }, headers);
      const repeat = await klarna.klarna('POST', `${orders}/${orderId}/refunds`, { refunded_amount: 100 }, headers);
      expect(repeat.headers.get('refund-id')).toBe(first.headers.get('refund-id'));
      await klarna.control('POST', '/clock', { advanceMs: 24 * HOUR_MS + 1000 });
      const later = await klarna.klarna('POST', `${orders}/${orderId}/refunds`, { refunded_amount: 100 }, headers);
      expect(later.headers.get('refund-id')).not.toBe(first.headers.get('refund-id'));
      expect((await getOrder(orderId)).refunded_amount).toBe(200);
    });
  });
});
