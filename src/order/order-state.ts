/**
 * Order lifecycle, pure. Our order only moves forward: placing -> placed (fraud pending or accepted) ->
 * confirmed, or -> cancelled from any state; cancelled is final, so a late or repeated FRAUD_RISK_ACCEPTED
 * never reopens it. Klarna's pending-order rules (shared/klarna/FACTS.md §7): PENDING means do not ship;
 * REJECTED and STOPPED mean never ship.
 */
export type OrderStatus = 'placing' | 'placed' | 'confirmed' | 'cancelled';

const RANK: Record<OrderStatus, number> = { placing: 0, placed: 1, confirmed: 2, cancelled: 3 };

/** What Order Management's view of an order means for ours. */
export function statusFromKlarna(klarna: { status: string; fraudStatus: string }): OrderStatus {
  if (['CANCELLED', 'EXPIRED'].includes(klarna.status)) return 'cancelled';
  if (klarna.fraudStatus === 'REJECTED' || klarna.fraudStatus === 'STOPPED') return 'cancelled';
  if (klarna.fraudStatus === 'ACCEPTED') return 'confirmed';
  return 'placed';
}

export function advanceStatus(current: OrderStatus, next: OrderStatus): OrderStatus {
  return RANK[next] > RANK[current] ? next : current;
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
  if (order.status === 'placing') return 'the order is still being placed';
  if (order.status === 'cancelled') return 'the order is cancelled';
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
