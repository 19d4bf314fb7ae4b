/**
 * Klarna's Order Management rules as they apply to our order, pure: what may be captured, refunded, extended or
 * released, checked locally before Klarna is asked (Klarna still has the last word: its 403 becomes KLARNA_REFUSED).
 * Sources: shared/klarna/FACTS.md §8 (errors in order management, refunds, extend authorization time, release
 * remaining authorization).
 */
import type { OrderStatus } from './order-state.js';

/** Klarna's OM order status in our lower-case spelling; forward only (klarna_status_rank in SQL). */
export type KlarnaOrderStatus = 'authorized' | 'part_captured' | 'captured' | 'cancelled' | 'expired' | 'closed';

const KLARNA_STATUSES: readonly KlarnaOrderStatus[] = [
  'authorized',
  'part_captured',
  'captured',
  'cancelled',
  'expired',
  'closed',
];

/** Same ranks as klarna_status_rank (migration order_management); rank 3 is final. */
const KLARNA_RANK: Record<KlarnaOrderStatus, number> = {
  authorized: 1,
  part_captured: 2,
  captured: 3,
  closed: 3,
  cancelled: 3,
  expired: 3,
};

/** Docs (extend authorization time): at most 180 days after the order was created. */
export const MAX_AUTHORIZATION_DAYS = 180;
const DAY_MS = 86_400_000;

export function klarnaStatusOf(status: string): KlarnaOrderStatus | undefined {
  const lower = status.toLowerCase() as KlarnaOrderStatus;
  return KLARNA_STATUSES.includes(lower) ? lower : undefined;
}

/** Whether `next` is a step forward from `current` (never out of a final state). */
export function isKlarnaStatusForward(current: KlarnaOrderStatus | null, next: KlarnaOrderStatus): boolean {
  const from = current ? KLARNA_RANK[current] : 0;
  return from < 3 && KLARNA_RANK[next] > from;
}

/** The money side of an order as our database keeps it. */
export interface ManagedOrderState {
  status: OrderStatus;
  fraudStatus: string | null;
  klarnaStatus: KlarnaOrderStatus | null;
  orderAmount: number;
  capturedAmount: number;
  refundedAmount: number;
  /** Null until Order Management reported it: then the order amount not captured yet. */
  remainingAuthorizedAmount: number | null;
  expiresAt: Date | null;
  createdAt: Date;
}

const OPEN_KLARNA: ReadonlySet<KlarnaOrderStatus | null> = new Set([null, 'authorized', 'part_captured']);

/** What can still be captured: nothing once the order is closed, cancelled, expired or fully captured. */
export function remainingAuthorized(order: ManagedOrderState, now: Date): number {
  if (order.status !== 'placed' && order.status !== 'confirmed') return 0;
  if (!OPEN_KLARNA.has(order.klarnaStatus)) return 0;
  if (order.expiresAt && order.expiresAt <= now) return 0;
  return Math.max(0, order.remainingAuthorizedAmount ?? order.orderAmount - order.capturedAmount);
}

/** Why the order is closed to captures and extensions, or undefined. */
function closedReason(order: ManagedOrderState, now: Date): string | undefined {
  if (order.status === 'failed') return 'the order is failed';
  if (order.status !== 'placed' && order.status !== 'confirmed' && order.status !== 'cancelled') {
    return 'the order is still being placed';
  }
  if (order.klarnaStatus && !OPEN_KLARNA.has(order.klarnaStatus)) {
    return order.klarnaStatus === 'captured' ? 'the order is fully captured' : `the order is ${order.klarnaStatus}`;
  }
  if (order.status === 'cancelled') return 'the order is cancelled';
  if (order.expiresAt && order.expiresAt <= now) return 'the authorization has expired';
  return undefined;
}

/** Klarna: not cancelled, expired or fully captured; not while fraud_status is PENDING; at most what remains. */
export function captureBlocker(order: ManagedOrderState, amount: number, now: Date): string | undefined {
  const closed = closedReason(order, now);
  if (closed) return closed;
  // Docs (pending orders): a PENDING order must not be shipped until Klarna accepts it.
  if (order.fraudStatus !== null && order.fraudStatus !== 'ACCEPTED') {
    return `Klarna has not accepted the order (fraud status ${order.fraudStatus})`;
  }
  const remaining = remainingAuthorized(order, now);
  if (remaining === 0) return 'nothing is left to capture';
  if (amount > remaining) return `the amount is higher than the remaining authorized amount (${remaining})`;
  return undefined;
}

/** Klarna: "Over refund is not allowed": at most what was captured and not refunded yet. */
export function refundBlocker(order: ManagedOrderState, amount: number): string | undefined {
  if (order.status !== 'placed' && order.status !== 'confirmed' && order.status !== 'cancelled') {
    return 'the order was never placed';
  }
  const refundable = order.capturedAmount - order.refundedAmount;
  if (refundable <= 0) return order.capturedAmount === 0 ? 'nothing was captured' : 'everything captured was refunded';
  if (amount > refundable) return `the amount is higher than captured minus refunded (${refundable})`;
  return undefined;
}

/** Klarna: not once expired or cancelled, nothing to extend when fully captured, at most 180 days after creation. */
export function extendBlocker(order: ManagedOrderState, now: Date): string | undefined {
  const closed = closedReason(order, now);
  if (closed) return closed;
  if (order.expiresAt && order.expiresAt.getTime() >= order.createdAt.getTime() + MAX_AUTHORIZATION_DAYS * DAY_MS) {
    return `the authorization already lasts ${MAX_AUTHORIZATION_DAYS} days after the order was created`;
  }
  return undefined;
}

/** Klarna: only after a partial capture ("Can not release when order is cancelled or has no captures"). */
export function releaseBlocker(order: ManagedOrderState, now: Date): string | undefined {
  if (order.status === 'failed') return 'the order is failed';
  if (order.status !== 'placed' && order.status !== 'confirmed' && order.status !== 'cancelled') {
    return 'the order is still being placed';
  }
  if (order.status === 'cancelled') return 'the order is cancelled';
  if (order.capturedAmount === 0) return 'nothing was captured yet: cancel the order instead';
  if (order.klarnaStatus === 'closed') return 'the remaining authorization was released already';
  if (order.klarnaStatus === 'captured' || order.capturedAmount >= order.orderAmount) {
    return 'the order is fully captured';
  }
  if (order.klarnaStatus && !OPEN_KLARNA.has(order.klarnaStatus)) return `the order is ${order.klarnaStatus}`;
  if (order.expiresAt && order.expiresAt <= now) return 'the authorization has expired';
  return undefined;
}

export type AutoCaptureMode = 'none' | 'digital' | 'all';

/**
 * KLARNA_AUTO_CAPTURE: whether create order asks Klarna to capture at once (KP-SPEC `auto_capture`). `digital`:
 * only when nothing is shipped (a digital line, and no physical or shipping line); `all`: shops that ship at once.
 */
export function autoCaptureFor(mode: AutoCaptureMode, lines: readonly { type: string }[]): boolean {
  if (mode === 'all') return true;
  if (mode === 'none') return false;
  return (
    lines.some((line) => line.type === 'digital') &&
    !lines.some((line) => ['physical', 'shipping_fee'].includes(line.type))
  );
}

/** Where our order and Order Management's differ: one entry per field, `forward` when ours may take Klarna's. */
export interface Drift {
  field: 'klarnaStatus' | 'capturedAmount' | 'refundedAmount' | 'expiresAt';
  ours: string | null;
  klarna: string | null;
  forward: boolean;
}

export interface KlarnaSide {
  klarnaStatus: KlarnaOrderStatus | undefined;
  capturedAmount: number;
  refundedAmount: number;
  expiresAt: Date | null;
}

/**
 * Compares our order with Order Management's. Amounts and status only move forward here, so Klarna showing less
 * captured or refunded, or an earlier status, is drift that ops must look at but that is never applied. Expiries a
 * minute or less apart are the same.
 */
export function driftBetween(ours: ManagedOrderState, klarna: KlarnaSide): Drift[] {
  const drift: Drift[] = [];
  if (klarna.klarnaStatus && klarna.klarnaStatus !== ours.klarnaStatus) {
    drift.push({
      field: 'klarnaStatus',
      ours: ours.klarnaStatus,
      klarna: klarna.klarnaStatus,
      forward: isKlarnaStatusForward(ours.klarnaStatus, klarna.klarnaStatus),
    });
  }
  for (const field of ['capturedAmount', 'refundedAmount'] as const) {
    if (klarna[field] !== ours[field]) {
      drift.push({
        field,
        ours: String(ours[field]),
        klarna: String(klarna[field]),
        forward: klarna[field] > ours[field],
      });
    }
  }
  const ourExpiry = ours.expiresAt?.getTime() ?? null;
  const klarnaExpiry = klarna.expiresAt?.getTime() ?? null;
  if (klarnaExpiry !== null && (ourExpiry === null || Math.abs(klarnaExpiry - ourExpiry) > 60_000)) {
    drift.push({
      field: 'expiresAt',
      ours: ours.expiresAt?.toISOString() ?? null,
      klarna: klarna.expiresAt!.toISOString(),
      // Klarna's expiry is the one that counts, earlier or later: it is not money, and a later one believed wrongly
      // would let an authorization lapse uncaptured.
      forward: true,
    });
  }
  return drift;
}
