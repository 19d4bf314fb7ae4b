import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startKlarnaSimulator, type KlarnaSimulator } from '../../src/klarna-simulator/klarna-simulator.js';
import { HOUR_MS, SimulatorClient, mugs, sessionBody, shipping } from './simulator-test-kit.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('Klarna simulator: Payments API', () => {
  let simulator: KlarnaSimulator;
  let klarna: SimulatorClient;

  beforeAll(async () => {
    simulator = await startKlarnaSimulator({ port: 0 });
    klarna = new SimulatorClient(simulator);
  });
  afterAll(() => simulator.close());
  beforeEach(async () => {
    await klarna.control('POST', '/reset');
  });

  describe('authentication and envelope', () => {
    it('answers 401 with a Klarna error body for wrong credentials', async () => {
      const answer = await klarna
        .withCredentials('simulator', 'wrong')
        .klarna('POST', '/payments/v1/sessions', sessionBody());
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({
        correlation_id: expect.stringMatching(UUID),
        error_code: 'UNAUTHORIZED',
        error_messages: [expect.any(String)],
      });
    });

    it('answers 401 when credentials are missing', async () => {
      const response = await fetch(`${simulator.url}/payments/v1/sessions/some-id`);
      expect(response.status).toBe(401);
    });

    it('accepts the credentials it was started with', async () => {
      const custom = await startKlarnaSimulator({ username: 'PK123_abc', password: 'secret' });
      try {
        const client = new SimulatorClient(custom);
        expect(custom.username).toBe('PK123_abc');
        expect((await client.klarna('POST', '/payments/v1/sessions', sessionBody())).status).toBe(200);
        const wrong = client.withCredentials('simulator', 'simulator');
        expect((await wrong.klarna('POST', '/payments/v1/sessions', sessionBody())).status).toBe(401);
      } finally {
        await custom.close();
      }
    });

    it('puts a Klarna-Correlation-Id on every answer and the same id in error bodies', async () => {
      const ok = await klarna.klarna('POST', '/payments/v1/sessions', sessionBody());
      expect(ok.headers.get('klarna-correlation-id')).toMatch(UUID);
      const failed = await klarna.klarna('GET', '/payments/v1/sessions/unknown');
      expect(failed.headers.get('klarna-correlation-id')).toBe(failed.body.correlation_id);
      expect(failed.headers.get('klarna-correlation-id')).not.toBe(ok.headers.get('klarna-correlation-id'));
    });

    it('answers 400 BAD_REQUEST for a body that is not JSON', async () => {
      const answer = await klarna.klarna('POST', '/payments/v1/sessions', '{"order_amount": ');
      expect(answer.status).toBe(400);
      expect(answer.body.error_code).toBe('BAD_REQUEST');
    });
  });

  describe('create, read and update a session', () => {
    it('creates a session with session_id, client_token and payment_method_categories', async () => {
      const answer = await klarna.klarna('POST', '/payments/v1/sessions', sessionBody());
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        session_id: expect.stringMatching(UUID),
        client_token: expect.any(String),
        payment_method_categories: [expect.objectContaining({ identifier: 'klarna' })],
      });
    });

    it('reads a session back with status, expires_at 48 hours ahead and the order fields as set', async () => {
      const sessionId = await klarna.createSession({ merchant_reference1: 'cart-1' });
      const { now } = (await klarna.control<{ now: string }>('GET', '/clock')).body;
      const answer = await klarna.klarna('GET', `/payments/v1/sessions/${sessionId}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        ...sessionBody(),
        merchant_reference1: 'cart-1',
        status: 'incomplete',
        client_token: expect.any(String),
      });
      const lifetime = Date.parse(answer.body.expires_at as string) - Date.parse(now);
      expect(Math.abs(lifetime - 48 * HOUR_MS)).toBeLessThan(5000);
    });

    it('updates a session with 204 and an empty body, and the read shows the new content', async () => {
      const sessionId = await klarna.createSession();
      const lines = [mugs()];
      const update = await klarna.klarna('POST', `/payments/v1/sessions/${sessionId}`, {
        order_amount: 11900,
        order_tax_amount: 1900,
        order_lines: lines,
      });
      expect(update.status).toBe(204);
      expect(update.body).toBeUndefined();
      const read = await klarna.klarna('GET', `/payments/v1/sessions/${sessionId}`);
      expect(read.body).toMatchObject({ order_amount: 11900, order_tax_amount: 1900, order_lines: lines });
    });

    it('refuses an update that changes purchase_currency', async () => {
      const sessionId = await klarna.createSession();
      const answer = await klarna.klarna('POST', `/payments/v1/sessions/${sessionId}`, { purchase_currency: 'SEK' });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error_code: 'BAD_VALUE', error_messages: ['Bad value: purchase_currency'] });
    });

    it('checks the merged session: an update whose lines no longer match order_amount is refused', async () => {
      const sessionId = await klarna.createSession();
      const answer = await klarna.klarna('POST', `/payments/v1/sessions/${sessionId}`, { order_lines: [mugs()] });
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: order_amount', 'Bad value: order_tax_amount']);
    });

    it('answers 404 NOT_FOUND "Invalid session id" for an unknown session', async () => {
      const answer = await klarna.klarna('GET', '/payments/v1/sessions/no-such-session');
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ error_code: 'NOT_FOUND', error_messages: ['Invalid session id'] });
    });

    it('answers 404 NOT_FOUND for a session older than 48 hours', async () => {
      const sessionId = await klarna.createSession();
      await klarna.control('POST', '/clock', { advanceMs: 48 * HOUR_MS - 60_000 });
      expect((await klarna.klarna('GET', `/payments/v1/sessions/${sessionId}`)).status).toBe(200);
      await klarna.control('POST', '/clock', { advanceMs: 60_000 });
      const read = await klarna.klarna('GET', `/payments/v1/sessions/${sessionId}`);
      expect(read.status).toBe(404);
      expect(read.body.error_messages).toEqual(['Invalid session id']);
      const update = await klarna.klarna('POST', `/payments/v1/sessions/${sessionId}`, { merchant_reference1: 'x' });
      expect(update.status).toBe(404);
      expect((await klarna.control('POST', `/sessions/${sessionId}/authorize`, {})).status).toBe(404);
    });

    it('marks the session complete once an order was created, and refuses updates with 404 SESSION_COMPLETED', async () => {
      const sessionId = await klarna.createSession();
      const token = await klarna.authorize(sessionId);
      expect((await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, sessionBody())).status).toBe(
        200,
      );
      const read = await klarna.klarna('GET', `/payments/v1/sessions/${sessionId}`);
      expect(read.body.status).toBe('complete');
      const update = await klarna.klarna('POST', `/payments/v1/sessions/${sessionId}`, { merchant_reference1: 'x' });
      expect(update.status).toBe(404);
      expect(update.body.error_code).toBe('SESSION_COMPLETED');
    });
  });

  describe('spec validation', () => {
    it('names a string amount: Bad value: order_amount', async () => {
      const answer = await klarna.klarna('POST', '/payments/v1/sessions', sessionBody({ order_amount: '12390' }));
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error_code: 'BAD_VALUE', error_messages: ['Bad value: order_amount'] });
    });

    it('names a string amount inside a line with its index', async () => {
      const body = sessionBody({ order_lines: [mugs(), { ...shipping(), unit_price: '4.90' }] });
      const answer = await klarna.klarna('POST', '/payments/v1/sessions', body);
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: order_lines[1].unit_price']);
    });

    it('names missing order_lines: Missing field: order_lines', async () => {
      const { order_lines: _lines, ...body } = sessionBody();
      const answer = await klarna.klarna('POST', '/payments/v1/sessions', body);
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Missing field: order_lines']);
    });

    it('names a 3-letter country: Bad value: purchase_country', async () => {
      const answer = await klarna.klarna('POST', '/payments/v1/sessions', sessionBody({ purchase_country: 'DEU' }));
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: purchase_country']);
    });

    it('names a negative quantity and a missing line name', async () => {
      const { name: _name, ...nameless } = shipping();
      const body = sessionBody({ order_lines: [{ ...mugs(), quantity: -2 }, nameless] });
      const answer = await klarna.klarna('POST', '/payments/v1/sessions', body);
      expect(answer.body.error_messages).toEqual([
        'Bad value: order_lines[0].quantity',
        'Missing field: order_lines[1].name',
      ]);
    });

    it('validates the create-order body against the spec as well', async () => {
      const sessionId = await klarna.createSession();
      const token = await klarna.authorize(sessionId);
      const answer = await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, {
        ...sessionBody(),
        auto_capture: 'yes',
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: auto_capture']);
    });
  });

  describe('business rules', () => {
    it('accepts a line whose total_amount includes its discount', async () => {
      const discounted = { ...mugs(), total_discount_amount: 1190, total_amount: 10710, total_tax_amount: 1710 };
      const body = sessionBody({ order_lines: [discounted, shipping()], order_amount: 11200, order_tax_amount: 1788 });
      expect((await klarna.klarna('POST', '/payments/v1/sessions', body)).status).toBe(200);
    });

    it('refuses a line whose total_amount is not quantity × unit_price − discount', async () => {
      const body = sessionBody({ order_lines: [{ ...mugs(), total_amount: 5950 }, shipping()], order_amount: 6440 });
      const answer = await klarna.klarna('POST', '/payments/v1/sessions', body);
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toContain('Bad value: order_lines[0].total_amount');
    });

    it('accepts a discount line with negative tax', async () => {
      const voucher = {
        type: 'discount',
        name: 'Voucher',
        quantity: 1,
        unit_price: -1000,
        total_amount: -1000,
        tax_rate: 1900,
        total_tax_amount: -160,
      };
      const body = sessionBody({
        order_lines: [mugs(), shipping(), voucher],
        order_amount: 11390,
        order_tax_amount: 1818,
      });
      expect((await klarna.klarna('POST', '/payments/v1/sessions', body)).status).toBe(200);
    });

    it('refuses a total_tax_amount more than 1 away from the tax in total_amount', async () => {
      const body = sessionBody({
        order_lines: [mugs(), { ...shipping(), total_tax_amount: 80 }],
        order_tax_amount: 1980,
      });
      const answer = await klarna.klarna('POST', '/payments/v1/sessions', body);
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: order_lines[1].total_tax_amount']);
    });

    it('refuses an order_amount that is not the sum of the lines', async () => {
      const answer = await klarna.klarna('POST', '/payments/v1/sessions', sessionBody({ order_amount: 12391 }));
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: order_amount']);
    });

    it('accepts order_tax_amount within ± the number of lines of the line taxes and refuses beyond', async () => {
      expect(
        (await klarna.klarna('POST', '/payments/v1/sessions', sessionBody({ order_tax_amount: 1980 }))).status,
      ).toBe(200);
      const answer = await klarna.klarna('POST', '/payments/v1/sessions', sessionBody({ order_tax_amount: 1981 }));
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: order_tax_amount']);
    });

    it('refuses a currency that is not the country’s: Bad value: purchase_currency', async () => {
      const answer = await klarna.klarna('POST', '/payments/v1/sessions', sessionBody({ purchase_currency: 'SEK' }));
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: purchase_currency']);
    });

    it('refuses a locale Klarna does not offer in the country: Bad value: locale', async () => {
      const answer = await klarna.klarna('POST', '/payments/v1/sessions', sessionBody({ locale: 'sv-SE' }));
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: locale']);
    });

    it('accepts Austria with en-AT', async () => {
      const answer = await klarna.klarna(
        'POST',
        '/payments/v1/sessions',
        sessionBody({ purchase_country: 'AT', locale: 'en-AT' }),
      );
      expect(answer.status).toBe(200);
    });

    it('accepts 1000 lines and refuses 1001', async () => {
      const line = {
        type: 'physical',
        name: 'Pin',
        quantity: 1,
        unit_price: 119,
        total_amount: 119,
        tax_rate: 1900,
        total_tax_amount: 19,
      };
      const ok = sessionBody({ order_lines: Array(1000).fill(line), order_amount: 119_000, order_tax_amount: 19_000 });
      expect((await klarna.klarna('POST', '/payments/v1/sessions', ok)).status).toBe(200);
      const tooMany = sessionBody({
        order_lines: Array(1001).fill(line),
        order_amount: 119_119,
        order_tax_amount: 19_019,
      });
      const answer = await klarna.klarna('POST', '/payments/v1/sessions', tooMany);
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: order_lines']);
    });

    it('accepts the US sales-tax model and refuses an order_tax_amount that is not the sales_tax lines', async () => {
      const us = (orderTax: number): Record<string, unknown> => ({
        purchase_country: 'US',
        purchase_currency: 'USD',
        locale: 'en-US',
        order_amount: 21000,
        order_tax_amount: orderTax,
        order_lines: [
          { type: 'physical', name: 'Shoes', quantity: 1, unit_price: 20000, total_amount: 20000 },
          { type: 'sales_tax', name: 'Sales Tax', quantity: 1, unit_price: 1000, total_amount: 1000 },
        ],
      });
      expect((await klarna.klarna('POST', '/payments/v1/sessions', us(1000))).status).toBe(200);
      const answer = await klarna.klarna('POST', '/payments/v1/sessions', us(0));
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: order_tax_amount']);
    });

    it('refuses a sales_tax line outside the US', async () => {
      const tax = { type: 'sales_tax', name: 'Tax', quantity: 1, unit_price: 0, total_amount: 0 };
      const answer = await klarna.klarna(
        'POST',
        '/payments/v1/sessions',
        sessionBody({ order_lines: [mugs(), shipping(), tax] }),
      );
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: order_lines[2].type']);
    });

    it('applies the same rules to create order', async () => {
      const sessionId = await klarna.createSession();
      const token = await klarna.authorize(sessionId);
      const answer = await klarna.klarna(
        'POST',
        `/payments/v1/authorizations/${token}/order`,
        sessionBody({ order_lines: [mugs(), { ...shipping(), total_tax_amount: 0 }], order_tax_amount: 1900 }),
      );
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Bad value: order_lines[1].total_tax_amount']);
    });
  });

  describe('authorization and create order', () => {
    it('authorizes a session and creates an order with order_id, redirect_url and fraud_status', async () => {
      const sessionId = await klarna.createSession();
      const authorization = await klarna.control('POST', `/sessions/${sessionId}/authorize`, {});
      expect(authorization.status).toBe(200);
      expect(authorization.body).toEqual({
        approved: true,
        authorization_token: expect.stringMatching(UUID),
        fraud_status: 'ACCEPTED',
      });
      const token = authorization.body.authorization_token as string;
      const read = await klarna.klarna('GET', `/payments/v1/sessions/${sessionId}`);
      expect(read.body.authorization_token).toBe(token);

      const order = await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, {
        ...sessionBody(),
        merchant_reference1: 'order-1',
      });
      expect(order.status).toBe(200);
      expect(order.body).toEqual({
        order_id: expect.stringMatching(UUID),
        redirect_url: `${simulator.url}/redirect/${order.body.order_id as string}`,
        fraud_status: 'ACCEPTED',
      });
      const om = await klarna.klarna('GET', `/ordermanagement/v1/orders/${order.body.order_id as string}`);
      expect(om.body).toMatchObject({ merchant_reference1: 'order-1', order_amount: 12390, status: 'AUTHORIZED' });
    });

    it("uses the session's confirmation URL with placeholders as redirect_url", async () => {
      const sessionId = await klarna.createSession({
        merchant_urls: { confirmation: 'https://shop.example/confirm?sid={session.id}&oid={order.id}' },
      });
      const token = await klarna.authorize(sessionId);
      const order = await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, sessionBody());
      expect(order.body.redirect_url).toBe(
        `https://shop.example/confirm?sid=${sessionId}&oid=${order.body.order_id as string}`,
      );
    });

    it('answers approved: false and no token for a denied authorization', async () => {
      const sessionId = await klarna.createSession();
      const answer = await klarna.control('POST', `/sessions/${sessionId}/authorize`, { outcome: 'denied' });
      expect(answer.body).toEqual({ approved: false });
      expect(
        (await klarna.klarna('GET', `/payments/v1/sessions/${sessionId}`)).body.authorization_token,
      ).toBeUndefined();
    });

    it('creates a PENDING order for a fraud_pending authorization', async () => {
      const sessionId = await klarna.createSession();
      const token = await klarna.authorize(sessionId, 'fraud_pending');
      const order = await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, sessionBody());
      expect(order.body.fraud_status).toBe('PENDING');
    });

    it('uses an authorization token once: a second create order answers 404 NOT_FOUND', async () => {
      const sessionId = await klarna.createSession();
      const token = await klarna.authorize(sessionId);
      expect((await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, sessionBody())).status).toBe(
        200,
      );
      const again = await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, sessionBody());
      expect(again.status).toBe(404);
      expect(again.body.error_code).toBe('NOT_FOUND');
    });

    it('answers 409 BAD_VALUE when the order differs from what was authorized, naming the fields', async () => {
      const sessionId = await klarna.createSession();
      const token = await klarna.authorize(sessionId);
      const changed = sessionBody({ order_lines: [mugs()], order_amount: 11900, order_tax_amount: 1900 });
      const answer = await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, changed);
      expect(answer.status).toBe(409);
      expect(answer.body).toMatchObject({
        error_code: 'BAD_VALUE',
        error_messages: ['Bad value: order_amount', 'Bad value: order_tax_amount', 'Bad value: order_lines'],
      });
      // The token survives a refused attempt: the authorized data still places the order.
      expect((await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, sessionBody())).status).toBe(
        200,
      );
    });

    it('answers 409 when the session changed after authorization until it is authorized again', async () => {
      const sessionId = await klarna.createSession();
      const oldToken = await klarna.authorize(sessionId);
      const cart = { order_lines: [mugs()], order_amount: 11900, order_tax_amount: 1900 };
      expect((await klarna.klarna('POST', `/payments/v1/sessions/${sessionId}`, cart)).status).toBe(204);
      const stale = await klarna.klarna('POST', `/payments/v1/authorizations/${oldToken}/order`, sessionBody(cart));
      expect(stale.status).toBe(409);

      const reauthorized = await klarna.control('POST', `/sessions/${sessionId}/reauthorize`, {});
      const newToken = reauthorized.body.authorization_token as string;
      expect(newToken).not.toBe(oldToken);
      expect(
        (await klarna.klarna('POST', `/payments/v1/authorizations/${oldToken}/order`, sessionBody(cart))).status,
      ).toBe(404);
      expect(
        (await klarna.klarna('POST', `/payments/v1/authorizations/${newToken}/order`, sessionBody(cart))).status,
      ).toBe(200);
    });

    it('answers 404 for a token older than 60 minutes', async () => {
      const sessionId = await klarna.createSession();
      const token = await klarna.authorize(sessionId);
      await klarna.control('POST', '/clock', { advanceMs: HOUR_MS });
      const answer = await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, sessionBody());
      expect(answer.status).toBe(404);
      expect(answer.body.error_code).toBe('NOT_FOUND');
    });

    it('still places the order with a token 59 minutes old', async () => {
      const sessionId = await klarna.createSession();
      const token = await klarna.authorize(sessionId);
      await klarna.control('POST', '/clock', { advanceMs: 59 * 60_000 });
      expect((await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, sessionBody())).status).toBe(
        200,
      );
    });

    it('cancels an authorization with 204, after which the token answers 404', async () => {
      const sessionId = await klarna.createSession();
      const token = await klarna.authorize(sessionId);
      const cancel = await klarna.klarna('DELETE', `/payments/v1/authorizations/${token}`);
      expect(cancel.status).toBe(204);
      expect((await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, sessionBody())).status).toBe(
        404,
      );
      expect((await klarna.klarna('DELETE', `/payments/v1/authorizations/${token}`)).status).toBe(404);
    });

    it('captures at once when auto_capture is set', async () => {
      const orderId = await klarna.placeOrder({}, { auto_capture: true });
      const order = await klarna.klarna('GET', `/ordermanagement/v1/orders/${orderId}`);
      expect(order.body).toMatchObject({ status: 'CAPTURED', captured_amount: 12390, remaining_authorized_amount: 0 });
    });
  });

  describe('customer token', () => {
    const tokenRequest = {
      intended_use: 'SUBSCRIPTION',
      description: 'Coffee subscription',
      locale: 'de-DE',
      purchase_country: 'DE',
      purchase_currency: 'EUR',
    };

    it('generates a customer token from a valid authorization', async () => {
      const sessionId = await klarna.createSession({ intent: 'buy_and_tokenize' });
      const token = await klarna.authorize(sessionId);
      const answer = await klarna.klarna('POST', `/payments/v1/authorizations/${token}/customer-token`, tokenRequest);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ token_id: expect.stringMatching(UUID), redirect_url: expect.any(String) });
    });

    it('requires intended_use and description', async () => {
      const sessionId = await klarna.createSession();
      const token = await klarna.authorize(sessionId);
      const answer = await klarna.klarna('POST', `/payments/v1/authorizations/${token}/customer-token`, {
        locale: 'de-DE',
        purchase_country: 'DE',
        purchase_currency: 'EUR',
        intended_use: 'ONE_OFF',
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error_messages).toEqual(['Missing field: description', 'Bad value: intended_use']);
    });

    it('answers 404 for an unknown authorization token', async () => {
      const answer = await klarna.klarna('POST', '/payments/v1/authorizations/nope/customer-token', tokenRequest);
      expect(answer.status).toBe(404);
    });
  });
});
