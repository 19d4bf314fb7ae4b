/**
 * Klarna Order Management (OM) v1 for the orders KP created: read, update the authorized amount, cancel, capture.
 * Rules from Klarna's OM docs (update order amount, errors in order management; shared/klarna/FACTS.md §8).
 */
import { randomUUID } from 'node:crypto';
import { KlarnaError, badValues, noSuchOrder } from './klarna-error.js';
import type { CaptureRequest, UpdateAuthorizationRequest } from './klarna-types.js';
import { linesForAmountProblems, sumOf } from './order-rules.js';
import type { OperationResult, SimulatorContext } from './simulator-context.js';
import type { StoredCapture, StoredOrder } from './state.js';

export class OrderManagementApi {
  constructor(private readonly context: SimulatorContext) {}

  getOrder(orderId: string): OperationResult {
    return { status: 200, body: this.orderView(this.findOrder(orderId)) };
  }

  /**
   * Klarna: not when captured, cancelled or expired; never below the captured amount; increases go through a risk
   * check that may refuse them; the lines sent replace the old ones and none sent deletes them.
   */
  updateAuthorization(orderId: string, body: UpdateAuthorizationRequest): OperationResult {
    const order = this.findOrder(orderId);
    const lines = body.order_lines ?? [];
    const problems = linesForAmountProblems(lines, body.order_amount, 'order_amount', order.purchase_country);
    if (problems.length > 0) throw badValues(problems);
    if (!this.isOpen(order)) {
      throw notAllowed(`Update authorization is not allowed for an order that is ${this.effectiveStatus(order)}`);
    }
    if (body.order_amount < order.captured_amount) {
      throw notAllowed('Resulting authorization amount cannot be less than the captured amount');
    }
    if (body.order_amount > order.order_amount && order.refuseIncreases) {
      throw notAllowed('Update authorization not allowed: the increase was refused by the risk assessment');
    }
    order.order_amount = body.order_amount;
    order.order_lines = lines;
    order.order_tax_amount = sumOf(lines, 'total_tax_amount');
    if (order.captured_amount > 0 && order.captured_amount === order.order_amount) order.status = 'CAPTURED';
    return { status: 204 };
  }

  /** Klarna: cancel only before any capture ("Order has previous captures"); afterwards release the remainder. */
  cancelOrder(orderId: string): OperationResult {
    const order = this.findOrder(orderId);
    if (order.captures.length > 0) throw cancelNotAllowed('Order has previous captures');
    const status = this.effectiveStatus(order);
    if (status !== 'AUTHORIZED') throw cancelNotAllowed(`Cancel is not allowed for an order that is ${status}`);
    order.status = 'CANCELLED';
    return { status: 204 };
  }

  /** Klarna: not on a cancelled or expired order, and at most the remaining authorized amount. */
  captureOrder(orderId: string, body: CaptureRequest): OperationResult {
    const order = this.findOrder(orderId);
    const problems = linesForAmountProblems(
      body.order_lines ?? [],
      body.captured_amount,
      'captured_amount',
      order.purchase_country,
    );
    if (body.captured_amount <= 0) problems.unshift('Bad value: captured_amount');
    if (problems.length > 0) throw badValues(problems);
    if (!this.isOpen(order)) {
      throw captureNotAllowed(`Capture is not allowed for an order that is ${this.effectiveStatus(order)}`);
    }
    // Docs (pending orders): a PENDING order must not be shipped until Klarna accepts it.
    if (order.fraud_status !== 'ACCEPTED') {
      throw captureNotAllowed(`Capture is not allowed while fraud_status is ${order.fraud_status}`);
    }
    if (body.captured_amount > this.remainingAuthorizedAmount(order)) {
      throw captureNotAllowed('Captured amount is higher than the remaining authorized amount');
    }
    const created = capture(order, body, this.context.clock.nowIso());
    const location = `${this.context.baseUrl()}/ordermanagement/v1/orders/${order.order_id}/captures/${created.capture_id}`;
    return { status: 201, headers: { 'Capture-Id': created.capture_id, Location: location } };
  }

  getCaptures(orderId: string): OperationResult {
    return { status: 200, body: this.findOrder(orderId).captures };
  }

  getCapture(orderId: string, captureId: string): OperationResult {
    const found = this.findOrder(orderId).captures.find((existing) => existing.capture_id === captureId);
    if (!found) throw new KlarnaError(404, 'NO_SUCH_CAPTURE', [`Capture ${captureId} not found`]);
    return { status: 200, body: found };
  }

  findOrder(orderId: string): StoredOrder {
    const order = this.context.state.orders.get(orderId);
    if (!order) throw noSuchOrder(orderId);
    return order;
  }

  /** An authorization that lapsed without captures shows as EXPIRED (OM-SPEC Order.status). */
  effectiveStatus(order: StoredOrder): StoredOrder['status'] {
    if (order.status === 'AUTHORIZED' && this.context.clock.now() >= order.expiresAt) order.status = 'EXPIRED';
    return order.status;
  }

  remainingAuthorizedAmount(order: StoredOrder): number {
    return this.isOpen(order) ? order.order_amount - order.captured_amount : 0;
  }

  orderView(order: StoredOrder): object {
    const status = this.effectiveStatus(order);
    return {
      order_id: order.order_id,
      status,
      fraud_status: order.fraud_status,
      order_amount: order.order_amount,
      original_order_amount: order.original_order_amount,
      captured_amount: order.captured_amount,
      refunded_amount: order.refunded_amount,
      remaining_authorized_amount: this.remainingAuthorizedAmount(order),
      purchase_currency: order.purchase_currency,
      purchase_country: order.purchase_country,
      locale: order.locale,
      order_lines: order.order_lines,
      merchant_reference1: order.merchant_reference1,
      merchant_reference2: order.merchant_reference2,
      merchant_data: order.merchant_data,
      billing_address: order.billing_address,
      shipping_address: order.shipping_address,
      customer: order.customer,
      created_at: new Date(order.createdAt).toISOString(),
      expires_at: new Date(order.expiresAt).toISOString(),
      captures: order.captures,
      refunds: [],
      klarna_reference: order.klarna_reference,
      initial_payment_method: { type: 'INVOICE', description: 'Pay later (Klarna simulator)' },
    };
  }

  /** Authorized amount still usable: not captured in full, not cancelled, and its authorization not lapsed. */
  private isOpen(order: StoredOrder): boolean {
    const status = this.effectiveStatus(order);
    if (status !== 'AUTHORIZED' && status !== 'PART_CAPTURED') return false;
    return this.context.clock.now() < order.expiresAt;
  }
}

/** Records a capture on the order (shared with KP's `auto_capture`). */
export function capture(order: StoredOrder, request: CaptureRequest, capturedAt: string): StoredCapture {
  const created: StoredCapture = {
    capture_id: randomUUID(),
    klarna_reference: `${order.klarna_reference}-${order.captures.length + 1}`,
    captured_amount: request.captured_amount,
    captured_at: capturedAt,
    description: request.description,
    reference: request.reference,
    order_lines: request.order_lines ?? [],
    refunded_amount: 0,
  };
  order.captures.push(created);
  order.captured_amount += request.captured_amount;
  order.status = order.captured_amount >= order.order_amount ? 'CAPTURED' : 'PART_CAPTURED';
  return created;
}

const notAllowed = (message: string): KlarnaError => new KlarnaError(403, 'NOT_ALLOWED', [message]);
const cancelNotAllowed = (message: string): KlarnaError => new KlarnaError(403, 'CANCEL_NOT_ALLOWED', [message]);
const captureNotAllowed = (message: string): KlarnaError => new KlarnaError(403, 'CAPTURE_NOT_ALLOWED', [message]);
