/**
 * Order Management with PAYMENT_GATEWAY=cybersource: captures and refunds through apCaptureService /
 * apRefundService; what the Simple Order API cannot do is refused as Klarna refused (NOT_SUPPORTED_BY_GATEWAY).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCartWithSession } from '../factories/cart.factory.js';
import { OPS_API_KEY, startTestApp, type TestApp } from '../support/test-app.js';

const ops = { authorization: `Bearer ${OPS_API_KEY}` };

describe('order management through CyberSource', () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startTestApp({ PAYMENT_GATEWAY: 'cybersource', AUTHORIZATION_CALLBACK_GRACE_MS: '600000' });
  });
  afterAll(() => service.close());

  async function anOrder() {
    const { cart, session } = await createCartWithSession(service.http, [{ quantity: 2, unitPrice: 10_000 }]);
    const token = await service.cyberSource!.authorize(session.sessionId);
    const placed = await service.http.post<{ orderId: string; klarnaOrderId: string }>(
      `/carts/${cart.id}/klarna-session/authorizations`,
      { authorizationToken: token },
    );
    expect(placed.status).toBe(201);
    return placed.body;
  }

  it('captures with apCaptureService and refunds that capture with apRefundService', async () => {
    const order = await anOrder();
    const capture = await service.http.post<{ klarnaCaptureId: string; capturedAmount: number }>(
      `/orders/${order.orderId}/captures`,
      { amount: 12_000, reference: 'shipment-1' },
      ops,
    );
    expect(capture.status).toBe(201);
    expect(capture.body.klarnaCaptureId).toMatch(/^\d{22}$/);
    const [captureCall] = (await service.cyberSource!.calls('capture')).filter(
      (call) => call.requestID === capture.body.klarnaCaptureId,
    );
    expect(captureCall.fields).toMatchObject({
      apCaptureService_authRequestID: order.klarnaOrderId,
      purchaseTotals_grandTotalAmount: '120.00',
      merchantReferenceCode: 'shipment-1',
    });
    const refund = await service.http.post<{ klarnaRefundId: string }>(
      `/orders/${order.orderId}/refunds`,
      { amount: 3000 },
      ops,
    );
    expect(refund.status).toBe(201);
    const [refundCall] = (await service.cyberSource!.calls('refund')).filter(
      (call) => call.requestID === refund.body.klarnaRefundId,
    );
    expect(refundCall.fields).toMatchObject({
      apRefundService_captureRequestID: capture.body.klarnaCaptureId,
      purchaseTotals_grandTotalAmount: '30.00',
    });
    expect((await service.http.get(`/orders/${order.orderId}`)).body).toMatchObject({
      capturedAmount: 12_000,
      refundedAmount: 3000,
    });
  });

  it('refuses what the Simple Order API cannot do with KLARNA_REFUSED (NOT_SUPPORTED_BY_GATEWAY)', async () => {
    const order = await anOrder();
    const extend = await service.http.post(`/orders/${order.orderId}/extend-authorization`, undefined, ops);
    expect(extend.status).toBe(409);
    expect(extend.body).toMatchObject({
      code: 'KLARNA_REFUSED',
      message: expect.stringContaining('NOT_SUPPORTED_BY_GATEWAY'),
    });
    const references = await service.http.patch(
      `/orders/${order.orderId}/merchant-references`,
      { merchantReference2: 'INV-1' },
      ops,
    );
    expect(references.status).toBe(409);
  });
});
