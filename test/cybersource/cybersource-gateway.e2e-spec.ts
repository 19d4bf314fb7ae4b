import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { KlarnaApiError } from '../../src/klarna/klarna-api.error.js';
import {
  germanCart,
  germanCartWithShopper,
  startCyberSourceKit,
  usCart,
  type CyberSourceKit,
} from './cybersource-test-kit.js';

const HOUR_MS = 3600 * 1000;

async function refusal(promise: Promise<unknown>): Promise<KlarnaApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof KlarnaApiError)) throw new Error(`expected a KlarnaApiError, got ${String(error)}`);
  return error;
}

describe('CyberSourceGateway against the CyberSource simulator', () => {
  let kit: CyberSourceKit;

  beforeAll(async () => {
    kit = await startCyberSourceKit();
  });
  afterAll(async () => {
    await kit.close();
  });
  beforeEach(async () => {
    await kit.control('POST', '/reset');
  });

  /** Session -> shopper's authorize -> authorization (the Klarna order). */
  async function placedOrder(outcome: 'approved' | 'pending' = 'approved') {
    const cart = germanCart();
    const session = await kit.gateway.createSession(cart);
    const token = await kit.authorize(session.sessionId, outcome);
    const order = await kit.gateway.placeOrder(token, { ...cart, merchantReference1: 'order-1' });
    return { session, token, order };
  }

  it('creates a session: the request id is the session, the processor token the client token, one category', async () => {
    const session = await kit.gateway.createSession(germanCart());
    expect(session.sessionId).toMatch(/^\d{22}$/);
    expect(session.clientToken).toMatch(/^cs-sim\./);
    expect(session.paymentMethodCategories).toEqual([{ identifier: 'klarna', name: 'Klarna' }]);
    const [call] = await kit.calls('createSession');
    expect(call).toMatchObject({ reasonCode: 100, decision: 'ACCEPT' });
    expect(call.fields).toMatchObject({
      apPaymentType: 'KLI',
      apSessionsService_run: 'true',
      apSessionsService_sessionsType: 'N',
      apSessionsService_paymentFlowMode: 'inline',
      purchaseTotals_currency: 'EUR',
      purchaseTotals_grandTotalAmount: '123.90',
      item_0_unitPrice: '59.50',
      item_1_productName: 'Shipping',
      billTo_country: 'DE',
      billTo_language: 'de-DE',
    });
  });

  it('updates the session with addresses, items, a coupon and totals, keyed by the session request id', async () => {
    const { sessionId } = await kit.gateway.createSession(germanCart());
    const correlationId = await kit.gateway.updateSession(sessionId, germanCartWithShopper());
    expect(correlationId).toMatch(/^\d{22}$/);
    const [call] = await kit.calls('updateSession');
    expect(call.fields).toMatchObject({
      apSessionsService_sessionsType: 'U',
      apSessionsService_sessionsRequestID: sessionId,
      billTo_firstName: 'Anna',
      shipTo_street1: 'Hauptstraße 1',
      item_2_productCode: 'coupon',
      item_2_unitPrice: '10.00',
      purchaseTotals_grandTotalAmount: '113.90',
    });
    const stored = await kit.control<{ content: { grandTotal: number }; updates: number }>(
      'GET',
      `/sessions/${sessionId}`,
    );
    expect(stored.body).toMatchObject({ updates: 1, content: { grandTotal: 11390 } });
  });

  it('sends US sales tax as purchaseTotals_taxAmount and passes the grand-total rule', async () => {
    await kit.gateway.createSession(usCart());
    const [call] = await kit.calls('createSession');
    expect(call.reasonCode).toBe(100);
    expect(call.fields).toMatchObject({ purchaseTotals_taxAmount: '3.60', purchaseTotals_grandTotalAmount: '48.60' });
    expect(Object.values(call.fields)).not.toContain('Sales tax');
  });

  it('refuses a cart whose lines do not add up before sending anything (grand-total rule)', async () => {
    const error = await refusal(kit.gateway.createSession(germanCart({ orderAmount: 12000 })));
    expect(error).toMatchObject({ status: 400, errorCode: 'BAD_VALUE' });
    expect(error.errorMessages[0]).toContain('purchaseTotals_grandTotalAmount');
    expect(await kit.calls()).toHaveLength(0);
  });

  it('answers an invalid field (102) as a 400 naming the field, like Klarna BAD_VALUE', async () => {
    const error = await refusal(kit.gateway.createSession(germanCart({ locale: 'en-UK' })));
    expect(error).toMatchObject({
      status: 400,
      errorCode: 'BAD_VALUE',
      errorMessages: ['Invalid field: c:billTo/c:language'],
    });
    expect(error.outcomeUnknown).toBe(false);
    expect(error.correlationId).toMatch(/^\d{22}$/);
  });

  it('answers an update of a session older than 48 h as not found, so callers start a new one', async () => {
    const { sessionId } = await kit.gateway.createSession(germanCart());
    await kit.control('POST', '/clock', { advanceMs: 48 * HOUR_MS });
    const error = await refusal(kit.gateway.updateSession(sessionId, germanCart()));
    expect(error).toMatchObject({ status: 404, errorCode: 'NOT_FOUND' });
    expect(error.isNotFound).toBe(true);
    expect((await kit.gateway.readSession(sessionId)).status).toBe('abandoned');
  });

  it('authorizes with the widget token: the authorization request id is the order, the session completes', async () => {
    const { session, order } = await placedOrder();
    expect(order).toMatchObject({ fraudStatus: 'ACCEPTED' });
    expect(order.orderId).toMatch(/^\d{22}$/);
    const [call] = await kit.calls('authorize');
    expect(call.fields).toMatchObject({ apAuthService_run: 'true', merchantReferenceCode: 'order-1' });
    expect((await kit.gateway.readSession(session.sessionId)).status).toBe('complete');
    expect(await kit.gateway.getOrder(order.orderId)).toMatchObject({
      orderId: order.orderId,
      status: 'AUTHORIZED',
      fraudStatus: 'ACCEPTED',
      orderAmount: 12390,
      purchaseCurrency: 'EUR',
    });
  });

  it('refuses a spent widget token as not found (AUTHORIZATION_INVALID for the order service)', async () => {
    const { token } = await placedOrder();
    const error = await refusal(kit.gateway.placeOrder(token, { ...germanCart(), merchantReference1: 'order-2' }));
    expect(error).toMatchObject({
      status: 404,
      errorMessages: ['Unknown, used or expired: c:apAuthService/c:preapprovalToken'],
    });
  });

  it('reports a PENDING authorization as fraud status PENDING until check status says AUTHORIZED', async () => {
    const { order } = await placedOrder('pending');
    expect(order.fraudStatus).toBe('PENDING');
    expect(await kit.gateway.getOrder(order.orderId)).toMatchObject({ status: 'AUTHORIZED', fraudStatus: 'PENDING' });
    expect((await kit.gateway.checkStatus(order.orderId)).pending).toBe(true);
    await kit.control('POST', `/authorizations/${order.orderId}/settle`, { outcome: 'authorized' });
    expect(await kit.gateway.getOrder(order.orderId)).toMatchObject({ status: 'AUTHORIZED', fraudStatus: 'ACCEPTED' });
  });

  it('reports a pending authorization that Klarna then refuses as cancelled and rejected', async () => {
    const { order } = await placedOrder('pending');
    await kit.control('POST', `/authorizations/${order.orderId}/settle`, { outcome: 'failed' });
    expect(await kit.gateway.getOrder(order.orderId)).toMatchObject({ status: 'CANCELLED', fraudStatus: 'REJECTED' });
  });

  it('answers a declined authorization as a refusal (403 DECLINED), not an unknown outcome', async () => {
    const cart = germanCart();
    const session = await kit.gateway.createSession(cart);
    const token = await kit.authorize(session.sessionId, 'declined');
    const error = await refusal(kit.gateway.placeOrder(token, { ...cart, merchantReference1: 'order-1' }));
    expect(error).toMatchObject({ status: 403, errorCode: 'DECLINED' });
    expect(error.outcomeUnknown).toBe(false);
  });

  it('treats Decision Manager review (480) as pending and reject (481) as refused', async () => {
    await kit.control('POST', '/decision-manager', { decision: 'REVIEW' });
    expect((await placedOrder()).order.fraudStatus).toBe('PENDING');
    await kit.control('POST', '/decision-manager', { decision: 'REJECT' });
    const error = await refusal(placedOrder());
    expect(error).toMatchObject({ status: 403, errorCode: 'REJECTED' });
  });

  it('reverses an authorization (cancelOrder), refuses a second reversal, and reports the order cancelled', async () => {
    const { order } = await placedOrder();
    expect(await kit.gateway.cancelOrder(order.orderId, 'key-1')).toMatch(/^\d{22}$/);
    expect(await kit.gateway.getOrder(order.orderId)).toMatchObject({ status: 'CANCELLED' });
    const error = await refusal(kit.gateway.cancelOrder(order.orderId, 'key-2'));
    expect(error).toMatchObject({ status: 403, errorCode: 'DECLINED' });
    expect(error.errorMessages[0]).toContain('243');
  });

  it('releases a widget token without a call, and reverses when given an authorization request id', async () => {
    const { order } = await placedOrder();
    await kit.control('DELETE', '/calls');
    await kit.gateway.cancelAuthorization('5b4c1a8e-2f3d-4e5f-9a0b-1c2d3e4f5a6b');
    expect(await kit.calls()).toHaveLength(0);
    await kit.gateway.cancelAuthorization(order.orderId);
    expect(await kit.calls('reverseAuthorization')).toHaveLength(1);
  });

  it('captures part of an authorization and refunds part of the capture, each keyed by the previous request id', async () => {
    const { order } = await placedOrder();
    const capture = await kit.gateway.captureOrder(order.orderId, {
      amount: 5000,
      currency: 'EUR',
      reference: 'order-1-c1',
    });
    expect(capture).toMatchObject({ status: 'PENDING', pending: true });
    expect((await kit.gateway.checkStatus(capture.requestId)).status).toBe('SETTLED');
    const refund = await kit.gateway.refundCapture(capture.requestId, {
      amount: 2000,
      currency: 'EUR',
      reference: 'order-1-r1',
    });
    expect(refund.status).toBe('PENDING');
    expect((await kit.gateway.checkStatus(refund.requestId)).status).toBe('REFUNDED');
    const [captureCall] = await kit.calls('capture');
    expect(captureCall.fields).toMatchObject({
      apCaptureService_authRequestID: order.orderId,
      purchaseTotals_grandTotalAmount: '50.00',
    });
    const [refundCall] = await kit.calls('refund');
    expect(refundCall.fields).toMatchObject({
      apRefundService_captureRequestID: capture.requestId,
      purchaseTotals_grandTotalAmount: '20.00',
    });
    const over = await refusal(
      kit.gateway.refundCapture(capture.requestId, { amount: 3001, currency: 'EUR', reference: 'r2' }),
    );
    expect(over.errorMessages[0]).toContain('235');
  });

  it('refuses a capture above what remains authorized', async () => {
    const { order } = await placedOrder();
    await kit.gateway.captureOrder(order.orderId, { amount: 12000, currency: 'EUR', reference: 'c1' });
    const error = await refusal(
      kit.gateway.captureOrder(order.orderId, { amount: 391, currency: 'EUR', reference: 'c2' }),
    );
    expect(error).toMatchObject({ status: 403, errorCode: 'DECLINED' });
  });

  it('refuses what CyberSource has no equivalent for, without a call', async () => {
    const { order } = await placedOrder();
    await kit.control('DELETE', '/calls');
    const update = await refusal(kit.gateway.updateOrderAuthorization(order.orderId, { orderAmount: 100 }, 'key'));
    expect(update).toMatchObject({ status: 405, errorCode: 'NOT_SUPPORTED_BY_GATEWAY' });
    expect(update.isTransient).toBe(false);
    const token = await refusal(
      kit.gateway.createCustomerToken('token', {
        purchaseCountry: 'DE',
        purchaseCurrency: 'EUR',
        locale: 'de-DE',
        description: 'Subscription',
        intendedUse: 'SUBSCRIPTION',
      }),
    );
    expect(token.errorCode).toBe('NOT_SUPPORTED_BY_GATEWAY');
    expect(await kit.calls()).toHaveLength(0);
  });

  describe('faults', () => {
    it.each([150, 151, 152] as const)(
      'answers reason code %i as an unknown outcome, never as a refusal',
      async (reasonCode) => {
        await kit.control('POST', '/faults', { operation: 'createSession', failNext: 1, reasonCode });
        const error = await refusal(kit.gateway.createSession(germanCart()));
        expect(error.outcomeUnknown).toBe(true);
        expect(error.isTransient).toBe(true);
        expect(error.errorMessages[0]).toContain('check status before any retry');
      },
    );

    it('a 151 after the authorization was applied: check status of the session tells the order exists', async () => {
      const cart = germanCart();
      const session = await kit.gateway.createSession(cart);
      const token = await kit.authorize(session.sessionId);
      await kit.control('POST', '/faults', {
        operation: 'authorize',
        failNext: 1,
        reasonCode: 151,
        afterProcessing: true,
      });
      const error = await refusal(kit.gateway.placeOrder(token, { ...cart, merchantReference1: 'order-1' }));
      expect(error.outcomeUnknown).toBe(true);
      expect((await kit.gateway.readSession(session.sessionId)).status).toBe('complete');
    });

    it('a 150 before applying leaves the token usable: the session is not complete', async () => {
      const cart = germanCart();
      const session = await kit.gateway.createSession(cart);
      const token = await kit.authorize(session.sessionId);
      await kit.control('POST', '/faults', { operation: 'authorize', failNext: 1, reasonCode: 150 });
      expect((await refusal(kit.gateway.placeOrder(token, { ...cart, merchantReference1: 'o' }))).outcomeUnknown).toBe(
        true,
      );
      expect((await kit.gateway.readSession(session.sessionId)).status).toBe('incomplete');
      expect((await kit.gateway.placeOrder(token, { ...cart, merchantReference1: 'o' })).fraudStatus).toBe('ACCEPTED');
    });

    it('a timeout before applying is an unknown outcome (no status), and nothing was applied', async () => {
      await kit.control('POST', '/faults', { operation: 'createSession', timeout: true });
      const error = await refusal(kit.gateway.createSession(germanCart()));
      expect(error).toMatchObject({ status: undefined, errorCode: 'TIMEOUT', failure: 'timeout' });
      expect(error.outcomeUnknown).toBe(true);
      const [call] = await kit.calls('createSession');
      expect(call).toMatchObject({ fault: 'timeout', requestID: null });
    });

    it('a timeout after applying: the answer is lost but the session exists at the simulator', async () => {
      await kit.control('POST', '/faults', { operation: 'createSession', timeoutAfterProcessing: 1 });
      const error = await refusal(kit.gateway.createSession(germanCart()));
      expect(error.outcomeUnknown).toBe(true);
      const [call] = await kit.calls('createSession');
      expect(call).toMatchObject({ fault: 'timeout_after_processing', reasonCode: 100 });
      expect((await kit.control('GET', `/sessions/${call.requestID}`)).status).toBe(200);
    });

    it('a cut connection after applying is a network error with an unknown outcome', async () => {
      const { order } = await placedOrder();
      await kit.control('POST', '/faults', { operation: 'capture', cutConnectionAfterProcessing: 1 });
      const error = await refusal(
        kit.gateway.captureOrder(order.orderId, { amount: 100, currency: 'EUR', reference: 'c' }),
      );
      expect(error).toMatchObject({ status: undefined, errorCode: 'NETWORK_ERROR' });
      expect(error.outcomeUnknown).toBe(true);
      const transaction = await kit.control<{ settled: number }>('GET', `/transactions/${order.orderId}`);
      expect(transaction.body.settled).toBe(100);
    });

    it('latency below the timeout still answers', async () => {
      await kit.control('POST', '/faults', { operation: 'createSession', latencyMs: 50 });
      await expect(kit.gateway.createSession(germanCart())).resolves.toMatchObject({
        paymentMethodCategories: [{ identifier: 'klarna' }],
      });
      expect((await kit.calls('createSession'))[0].fault).toBe('latency');
    });
  });
});

describe('CyberSourceGateway with a certificate the simulator does not know', () => {
  it('is refused with a SOAP fault, answered as 401 (not transient, nothing applied)', async () => {
    const kit = await startCyberSourceKit();
    const stranger = await startCyberSourceKit();
    try {
      const config = {
        ...stranger.config,
        cybersource: { ...stranger.config.cybersource, endpoint: kit.simulator.endpoint },
      };
      const { CyberSourceGateway } = await import('../../src/cybersource/cybersource.gateway.js');
      const { MetricsService } = await import('../../src/metrics/metrics.service.js');
      const error = await refusal(new CyberSourceGateway(config, new MetricsService()).createSession(germanCart()));
      expect(error).toMatchObject({ status: 401, errorCode: 'AUTHENTICATION_FAILED' });
      expect(error.isTransient).toBe(false);
      const [call] = await kit.calls();
      expect(call.soapFault).toContain('unknown certificate');
    } finally {
      await kit.close();
      await stranger.close();
    }
  });
});
