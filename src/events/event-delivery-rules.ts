import type { KlarnaAddress, KlarnaOrderLine } from '../klarna/klarna.types.js';

/**
 * Pure rules of delivering order events (Standard Webhooks): what the body says, when to try again, when to give
 * up. No Nest, no Prisma: unit-tested in src/events/event-delivery-rules.spec.ts.
 */

export const ORDER_EVENT_TYPES = [
  'order.placed',
  'order.confirmed',
  'order.cancelled',
  'order.needs_attention',
  'order.failed',
  'order.captured',
  'order.refunded',
  'order.amended',
  'order.expiring',
] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];

export const EVENT_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** The order as the trigger order_event_state wrote it with the event. */
export interface OrderEventState {
  orderId: string;
  cartId: string;
  klarnaOrderId: string | null;
  status: string;
  fraudStatus: string | null;
  klarnaStatus: string | null;
  merchantReference1: string;
  merchantReference2: string | null;
  purchaseCountry: string;
  currency: string;
  orderAmount: number;
  orderTaxAmount: number;
  capturedAmount: number;
  refundedAmount: number;
  remainingAuthorizedAmount: number | null;
  expiresAt: string | null;
  attentionReason: string | null;
  orderLines: KlarnaOrderLine[];
}

export interface PreviousState {
  status?: string;
  orderAmount?: number;
  capturedAmount?: number;
  refundedAmount?: number;
}

export interface StoredEvent {
  type: string;
  createdAt: Date;
  state: OrderEventState;
  previous: PreviousState;
}

/** Events whose receiver acts on the lines: a warehouse picks them, an ERP books them. */
const WITH_LINES: ReadonlySet<string> = new Set(['order.placed', 'order.confirmed', 'order.amended']);

/** Seconds a retry waits at most, whatever the attempt: 4 hours. */
export const MAX_RETRY_DELAY_MS = 4 * 60 * 60 * 1000;

/**
 * The body POSTed to the merchant, in Standard Webhooks' shape `{ type, timestamp, data }`. Amounts are integers in
 * minor units of `currency`. `shippingAddress` only when MERCHANT_WEBHOOK_INCLUDE_CUSTOMER=true (null without one).
 */
export function eventBody(
  event: StoredEvent,
  shippingAddress?: KlarnaAddress | null,
): { type: string; timestamp: string; data: Record<string, unknown> } {
  const { state, previous } = event;
  const data: Record<string, unknown> = {
    orderId: state.orderId,
    klarnaOrderId: state.klarnaOrderId,
    merchantReference1: state.merchantReference1,
    merchantReference2: state.merchantReference2,
    status: state.status,
    fraudStatus: state.fraudStatus,
    klarnaStatus: state.klarnaStatus,
    purchaseCountry: state.purchaseCountry,
    currency: state.currency,
    amounts: {
      orderAmount: state.orderAmount,
      orderTaxAmount: state.orderTaxAmount,
      capturedAmount: state.capturedAmount,
      refundedAmount: state.refundedAmount,
      remainingAuthorizedAmount: state.remainingAuthorizedAmount,
    },
    expiresAt: state.expiresAt === null ? null : new Date(state.expiresAt).toISOString(),
  };
  if (previous.status !== undefined && previous.status !== state.status) data.previousStatus = previous.status;
  if (event.type === 'order.needs_attention') data.attentionReason = state.attentionReason;
  if (event.type === 'order.captured') {
    data.capture = { amount: state.capturedAmount - (previous.capturedAmount ?? 0) };
  }
  if (event.type === 'order.refunded') {
    data.refund = { amount: state.refundedAmount - (previous.refundedAmount ?? 0) };
  }
  if (event.type === 'order.amended') data.previousOrderAmount = previous.orderAmount ?? null;
  if (WITH_LINES.has(event.type)) data.lines = state.orderLines.map(eventLine);
  if (shippingAddress !== undefined) data.shippingAddress = shippingAddress;
  return { type: event.type, timestamp: event.createdAt.toISOString(), data };
}

function eventLine(line: KlarnaOrderLine) {
  return {
    reference: line.reference,
    name: line.name,
    type: line.type,
    quantity: line.quantity,
    ...(line.quantityUnit ? { quantityUnit: line.quantityUnit } : {}),
    unitPrice: line.unitPrice,
    taxRate: line.taxRate,
    totalAmount: line.totalAmount,
    totalTaxAmount: line.totalTaxAmount,
    totalDiscountAmount: line.totalDiscountAmount,
  };
}

/** Standard Webhooks: any 2xx is success; everything else (3xx included) is retried. */
export function isDelivered(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * The wait before attempt `attempt + 1` after `attempt` failed ones: `baseMs` doubling each time up to 4 hours,
 * with ±25 % jitter so that receivers coming back up are not hit by every retry at once. `random` is in [0, 1).
 */
export function retryDelayMs(attempt: number, baseMs: number, random: number): number {
  const exponential = Math.min(baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40), MAX_RETRY_DELAY_MS);
  return Math.round(exponential * (0.75 + 0.5 * random));
}

/**
 * After a failed attempt: when to try again, or `dead` once the next try would fall past the retry window
 * (MERCHANT_WEBHOOK_RETRY_HOURS from the event's creation or its last replay).
 */
export function afterFailure(
  attempt: number,
  retryFrom: Date,
  now: Date,
  settings: { retryHours: number; retryBaseMs: number },
  random: number,
): { kind: 'retry'; at: Date } | { kind: 'dead' } {
  const at = new Date(now.getTime() + retryDelayMs(attempt, settings.retryBaseMs, random));
  const windowEnd = retryFrom.getTime() + settings.retryHours * 60 * 60 * 1000;
  return at.getTime() > windowEnd ? { kind: 'dead' } : { kind: 'retry', at };
}

/** What a receiver answered, short enough to keep with the event (no more than 500 characters). */
export function answerExcerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 500 ? `${flat.slice(0, 497)}...` : flat;
}
