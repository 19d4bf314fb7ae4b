import type { Db } from '../database/sql.js';
import type { KlarnaManagedOrder } from '../klarna/klarna.types.js';
import { klarnaStatusOf } from './order-management-rules.js';
import type { OrderRepository } from './order.repository.js';

/**
 * Takes Klarna's side of an order from an Order Management read (a push, a notification, the reconciliation):
 * captures and refunds Klarna has and we do not (auto capture, the Merchant Portal) are kept with Klarna's ids, and
 * status, amounts and expiry move forward only. Shared by OrderService and the reconciliation.
 */
export async function recordKlarnaOrder(
  orders: OrderRepository,
  db: Db,
  orderId: string,
  klarnaOrder: KlarnaManagedOrder,
): Promise<void> {
  for (const capture of klarnaOrder.captures ?? []) {
    if (!capture.captureId || capture.capturedAmount <= 0) continue;
    await orders.recordCapture(db, orderId, {
      operationId: null,
      klarnaCaptureId: capture.captureId,
      capturedAmount: capture.capturedAmount,
      description: capture.description,
      reference: capture.reference,
      orderLines: capture.orderLines,
      shippingInfo: capture.shippingInfo,
      capturedAt: dateOr(capture.capturedAt, new Date()),
    });
  }
  for (const refund of klarnaOrder.refunds ?? []) {
    if (!refund.refundId || refund.refundedAmount <= 0) continue;
    await orders.recordRefund(db, orderId, {
      operationId: null,
      klarnaRefundId: refund.refundId,
      refundedAmount: refund.refundedAmount,
      description: refund.description,
      reference: refund.reference,
      orderLines: refund.orderLines,
      refundedAt: dateOr(refund.refundedAt, new Date()),
    });
  }
  await orders.advanceKlarnaState(db, orderId, {
    klarnaStatus: klarnaStatusOf(klarnaOrder.status),
    capturedAmount: klarnaOrder.capturedAmount,
    refundedAmount: klarnaOrder.refundedAmount,
    remainingAuthorizedAmount: klarnaOrder.remainingAuthorizedAmount,
    expiresAt: klarnaOrder.expiresAt ? dateOr(klarnaOrder.expiresAt, undefined) : undefined,
  });
}

function dateOr<T extends Date | undefined>(text: string | undefined, fallback: T): Date | T {
  const time = text ? Date.parse(text) : NaN;
  return Number.isNaN(time) ? fallback : new Date(time);
}
