/**
 * Order lifecycle, pure. Our order only moves forward: placing -> (needs_attention, when Klarna's answer stays
 * unknown) -> placed (fraud pending or accepted) -> confirmed, or -> cancelled; placing -> failed when Klarna
 * definitely refused. cancelled and failed are final, so a late or repeated FRAUD_RISK_ACCEPTED never reopens an
 * order. Klarna's pending-order rules (shared/klarna/FACTS.md §7): PENDING means do not ship; REJECTED and
 * STOPPED mean never ship. The same ranks are enforced in SQL (order_status_rank, migration money_safety).
 */
export type OrderStatus = 'placing' | 'needs_attention' | 'placed' | 'confirmed' | 'cancelled' | 'failed';

const RANK: Record<OrderStatus, number> = {
  placing: 0,
  needs_attention: 1,
  placed: 2,
  confirmed: 3,
  cancelled: 4,
  failed: 4,
};

const FINAL: ReadonlySet<OrderStatus> = new Set(['cancelled', 'failed']);

/** What Order Management's view of an order means for ours. */
export function statusFromKlarna(klarna: { status: string; fraudStatus: string }): OrderStatus {
  if (['CANCELLED', 'EXPIRED'].includes(klarna.status)) return 'cancelled';
  if (klarna.fraudStatus === 'REJECTED' || klarna.fraudStatus === 'STOPPED') return 'cancelled';
  if (klarna.fraudStatus === 'ACCEPTED') return 'confirmed';
  return 'placed';
}

export function advanceStatus(current: OrderStatus, next: OrderStatus): OrderStatus {
  return !FINAL.has(current) && RANK[next] > RANK[current] ? next : current;
}

/** Whether Klarna's outcome for this placement is still open (the cart stays locked: ORDER_IN_PROGRESS). */
export function isUnresolved(status: OrderStatus): boolean {
  return status === 'placing' || status === 'needs_attention';
}

/**
 * Klarna's rules for updating an order's amount (Order Management, "Update order amount"): never negative,
 * never below what was captured, not once fully captured, cancelled, expired or closed. Returns the reason
 * it is refused, or undefined.
 */
export function amendmentBlocker(
  order: { status: OrderStatus; klarnaStatus: string; capturedAmount: number },
  newOrderAmount: number,
): string | undefined {
  if (isUnresolved(order.status)) return 'the order is still being placed';
  if (order.status === 'cancelled' || order.status === 'failed') return `the order is ${order.status}`;
  if (order.klarnaStatus === 'CAPTURED') return 'the order is fully captured';
  if (['CANCELLED', 'EXPIRED', 'CLOSED'].includes(order.klarnaStatus)) {
    return `the order is ${order.klarnaStatus.toLowerCase()} at Klarna`;
  }
  if (newOrderAmount < 0) return 'the order amount must not be negative';
  if (newOrderAmount < order.capturedAmount) {
    return `the order amount must not be below the captured amount (${order.capturedAmount})`;
  }
  return undefined;
}
