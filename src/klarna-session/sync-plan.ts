/**
 * What a cart change means for its Klarna session, decided without I/O. Klarna rules behind it
 * (shared/klarna/FACTS.md §5, §2): a session lives 48 hours and then answers NOT_FOUND; an update with another
 * purchase_currency is refused (BAD_VALUE purchase_currency), so a market change needs a new session; a
 * session closes when an order is created from it; Klarna needs at least one order line.
 */
export interface SessionSnapshot {
  status: 'active' | 'completed' | 'expired' | 'replaced';
  expiresAt: Date;
  purchaseCountry: string;
  purchaseCurrency: string;
  syncedPayloadHash: string;
  /** An earlier push may or may not have reached Klarna (timeout, 5xx): what Klarna holds is not known. */
  pushOutcomeUnknown: boolean;
}

export interface CartSnapshot {
  purchaseCountry: string;
  purchaseCurrency: string;
  lineCount: number;
  payloadHash: string;
}

export type SyncPlan =
  | { kind: 'no_session' }
  | { kind: 'unchanged' }
  | { kind: 'update' }
  | { kind: 'recreate'; reason: 'expired' | 'market_changed' | 'completed' }
  | { kind: 'hold'; reason: 'cart_empty' };

export function planSync(session: SessionSnapshot | null, cart: CartSnapshot, now: Date): SyncPlan {
  if (!session) return { kind: 'no_session' };
  if (cart.lineCount === 0) return { kind: 'hold', reason: 'cart_empty' };
  if (session.status === 'completed') return { kind: 'recreate', reason: 'completed' };
  if (session.status !== 'active' || session.expiresAt.getTime() <= now.getTime()) {
    return { kind: 'recreate', reason: 'expired' };
  }
  if (session.purchaseCountry !== cart.purchaseCountry || session.purchaseCurrency !== cart.purchaseCurrency) {
    return { kind: 'recreate', reason: 'market_changed' };
  }
  // After a push with an unknown outcome Klarna may hold a newer or an older cart than our last acknowledged one:
  // equal fingerprints prove nothing then, so the cart is pushed again.
  if (session.syncedPayloadHash === cart.payloadHash && !session.pushOutcomeUnknown) return { kind: 'unchanged' };
  return { kind: 'update' };
}

/** Klarna sessions are open for 48 hours after creation. */
export const SESSION_LIFETIME_MS = 48 * 60 * 60 * 1000;
/** An authorization token can become an order for 60 minutes. */
export const AUTHORIZATION_LIFETIME_MS = 60 * 60 * 1000;
