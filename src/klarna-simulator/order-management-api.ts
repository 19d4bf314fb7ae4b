/**
 * Klarna Order Management (OM) v1 for the orders KP created, as one state machine: read, update the authorized
 * amount, cancel, capture (with shipping info), refund, extend the authorization, release the rest of it, change
 * addresses and merchant references. Rules from Klarna's OM docs (update order amount, errors in order management,
 * refunds, extend authorization, release remaining authorization; shared/klarna/FACTS.md §8).
 *
 * AUTHORIZED -> PART_CAPTURED -> CAPTURED; PART_CAPTURED -> CLOSED (release); AUTHORIZED -> CANCELLED; AUTHORIZED ->
 * EXPIRED when the clock passes expires_at (28 days, extendable up to 180 days after creation).
 */
import { randomUUID } from 'node:crypto';
import { KlarnaError, badValues, noSuchOrder } from './klarna-error.js';
import type {
  CaptureRequest,
  CustomerDetailsRequest,
  MerchantReferencesRequest,
  RefundRequest,
  ShippingInfoRequest,
  UpdateAuthorizationRequest,
} from './klarna-types.js';
import { ORDER_AUTHORIZATION_LIFETIME_MS } from './payments-api.js';
import { linesForAmountProblems, sumOf } from './order-rules.js';
import type { OperationResult, SimulatorContext } from './simulator-context.js';
import type { StoredCapture, StoredOrder, StoredRefund } from './state.js';

/** Docs (extend authorization time): never beyond 180 days after the order was created. */
export const MAX_AUTHORIZATION_MS = 180 * 24 * 60 * 60 * 1000;

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

  /** Docs (add shipping info): appended to the capture; an unknown capture answers 404 NO_SUCH_CAPTURE. */
  appendShippingInfo(orderId: string, captureId: string, body: ShippingInfoRequest): OperationResult {
    const found = this.findCapture(this.findOrder(orderId), captureId);
    found.shipping_info.push(...body.shipping_info);
    return { status: 204 };
  }

  /**
   * Docs (refunds): at most what was captured and not refunded yet ("Over refund is not allowed"); lines, when sent,
   * add up to the amount. Two refunds of the same amount are two refunds; only the idempotency key makes a repeat.
   */
  refundOrder(orderId: string, body: RefundRequest): OperationResult {
    const order = this.findOrder(orderId);
    const problems = linesForAmountProblems(
      body.order_lines ?? [],
      body.refunded_amount,
      'refunded_amount',
      order.purchase_country,
    );
    if (body.refunded_amount <= 0) problems.unshift('Bad value: refunded_amount');
    if (problems.length > 0) throw badValues(problems);
    if (body.refunded_amount > order.captured_amount - order.refunded_amount) {
      throw refundNotAllowed('Over refund is not allowed');
    }
    const created = refund(order, body, this.context.clock.nowIso());
    const location = `${this.context.baseUrl()}/ordermanagement/v1/orders/${order.order_id}/refunds/${created.refund_id}`;
    return { status: 201, headers: { 'Refund-Id': created.refund_id, Location: location } };
  }

  getRefund(orderId: string, refundId: string): OperationResult {
    const found = this.findOrder(orderId).refunds.find((existing) => existing.refund_id === refundId);
    if (!found) throw new KlarnaError(404, 'NOT_FOUND', [`Refund ${refundId} not found`]);
    return { status: 200, body: found };
  }

  /**
   * Docs (extend authorization time): the new expiry is today + the account's days (28 here), never beyond 180
   * days after creation; not once the order is expired or cancelled, nor when nothing is left to capture.
   */
  extendAuthorizationTime(orderId: string): OperationResult {
    const order = this.findOrder(orderId);
    const status = this.effectiveStatus(order);
    if (status !== 'AUTHORIZED' && status !== 'PART_CAPTURED') {
      throw notAllowed(`Extension of authorization time is not allowed for an order that is ${status}`);
    }
    const now = this.context.clock.now();
    if (now >= order.expiresAt)
      throw notAllowed('Extension of authorization time is not allowed: the authorization expired');
    const cap = order.createdAt + MAX_AUTHORIZATION_MS;
    if (order.expiresAt >= cap) {
      throw notAllowed('Extension of authorization time is not allowed beyond 180 days after the order was created');
    }
    order.expiresAt = Math.max(order.expiresAt, Math.min(now + ORDER_AUTHORIZATION_LIFETIME_MS, cap));
    return { status: 204 };
  }

  /** OM-SPEC: "Can not release when order is cancelled or has no captures"; nothing to release once fully captured. */
  releaseRemainingAuthorization(orderId: string): OperationResult {
    const order = this.findOrder(orderId);
    const status = this.effectiveStatus(order);
    if (status === 'CANCELLED') throw notAllowed('Can not release when order is cancelled');
    if (order.captures.length === 0) throw notAllowed('Can not release when order has no captures');
    if (status !== 'PART_CAPTURED') {
      throw notAllowed(`Can not release remaining authorization for an order that is ${status}`);
    }
    order.status = 'CLOSED';
    return { status: 204 };
  }

  /** Replaces the addresses sent; not on a cancelled or expired order. */
  updateCustomerDetails(orderId: string, body: CustomerDetailsRequest): OperationResult {
    const order = this.findOrder(orderId);
    const status = this.effectiveStatus(order);
    if (status === 'CANCELLED' || status === 'EXPIRED') {
      throw notAllowed(`Updating customer details is not allowed for an order that is ${status}`);
    }
    if (body.shipping_address !== undefined) order.shipping_address = body.shipping_address;
    if (body.billing_address !== undefined) order.billing_address = body.billing_address;
    return { status: 204 };
  }

  /** OM-SPEC: each reference present overwrites the old one. */
  updateMerchantReferences(orderId: string, body: MerchantReferencesRequest): OperationResult {
    const order = this.findOrder(orderId);
    if (body.merchant_reference1 !== undefined) order.merchant_reference1 = body.merchant_reference1;
    if (body.merchant_reference2 !== undefined) order.merchant_reference2 = body.merchant_reference2;
    return { status: 204 };
  }

  getCaptures(orderId: string): OperationResult {
    return { status: 200, body: this.findOrder(orderId).captures };
  }

  getCapture(orderId: string, captureId: string): OperationResult {
    return { status: 200, body: this.findCapture(this.findOrder(orderId), captureId) };
  }

  private findCapture(order: StoredOrder, captureId: string): StoredCapture {
    const found = order.captures.find((existing) => existing.capture_id === captureId);
    if (!found) throw new KlarnaError(404, 'NO_SUCH_CAPTURE', [`Capture ${captureId} not found`]);
    return found;
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
      refunds: order.refunds,
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
    shipping_info: request.shipping_info ?? [],
  };
  order.captures.push(created);
  order.captured_amount += request.captured_amount;
  order.status = order.captured_amount >= order.order_amount ? 'CAPTURED' : 'PART_CAPTURED';
  return created;
}

/** Records a refund, spread over the captures oldest first (Klarna maps refunds to captures). */
export function refund(order: StoredOrder, request: RefundRequest, refundedAt: string): StoredRefund {
  const created: StoredRefund = {
    refund_id: randomUUID(),
    refunded_amount: request.refunded_amount,
    refunded_at: refundedAt,
    description: request.description,
    reference: request.reference,
    order_lines: request.order_lines ?? [],
  };
  order.refunds.push(created);
  order.refunded_amount += request.refunded_amount;
  let left = request.refunded_amount;
  for (const captured of order.captures) {
    const share = Math.min(left, captured.captured_amount - captured.refunded_amount);
    captured.refunded_amount += share;
    left -= share;
  }
  return created;
}

const refundNotAllowed = (message: string): KlarnaError => new KlarnaError(403, 'REFUND_NOT_ALLOWED', [message]);
const notAllowed = (message: string): KlarnaError => new KlarnaError(403, 'NOT_ALLOWED', [message]);
const cancelNotAllowed = (message: string): KlarnaError => new KlarnaError(403, 'CANCEL_NOT_ALLOWED', [message]);
const captureNotAllowed = (message: string): KlarnaError => new KlarnaError(403, 'CAPTURE_NOT_ALLOWED', [message]);
