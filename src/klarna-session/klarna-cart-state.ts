import type { KlarnaSession } from '../generated/prisma/client.js';

/** A live session as the cart's hot path reads it (src/cart/cart-store.ts): without the row's own timestamps. */
export type LiveSession = Omit<KlarnaSession, 'createdAt' | 'updatedAt'>;
import type { SyncError } from './klarna-session.repository.js';
import type { KlarnaCartState, WidgetAction } from './klarna-session.types.js';
import type { SessionCart } from './session-cart.js';

/** What a cart change leaves to write on its session row, when Klarna holds the cart (pushed now, or already). */
export interface SessionWrite {
  sessionRowId: string;
  version: number;
  payloadHash: string;
  correlationId: string | null;
  /** Pushed now: the cart's active authorizations go stale (the cart changed after them). */
  pushed: boolean;
}

export interface PushOutcome {
  state: KlarnaCartState | null;
  write?: SessionWrite;
}

/** What writing a SessionWrite found: authorizations it made stale, and the newest one's status before. */
export interface SessionWritten {
  staled: number;
  latestStatus: string | null;
}

export function sessionWrite(
  session: LiveSession,
  cart: SessionCart,
  payloadHash: string,
  pushed: boolean,
  correlationId: string | null,
): SessionWrite {
  return { sessionRowId: session.id, version: cart.version, payloadHash, correlationId, pushed };
}

/** After a push, the widget reloads the cart; when an authorization went stale with it, it reauthorizes. */
export function settledState(outcome: PushOutcome, written: SessionWritten): KlarnaCartState | null {
  if (!outcome.state || !outcome.write?.pushed) return outcome.state;
  const reauthorize = written.staled > 0 || written.latestStatus === 'stale';
  return { ...outcome.state, action: reauthorize ? 'reauthorize' : 'load' };
}

/** The `klarna` part of GET /carts/:id, from the cart's live session and its newest authorization's status. */
export function currentCartState(
  session: LiveSession,
  cartVersion: number,
  latestAuthorizationStatus: string | null,
  now: Date,
): KlarnaCartState {
  const live = session.status === 'active' && session.expiresAt.getTime() > now.getTime();
  const inSync =
    live && session.syncedVersion === cartVersion && session.lastSyncError === null && !session.pushOutcomeUnknown;
  return cartState(session, {
    inSync,
    action: inSync && latestAuthorizationStatus === 'stale' ? 'reauthorize' : 'none',
    syncError: session.lastSyncError as SyncError | null,
  });
}

export function cartState(
  session: LiveSession,
  outcome: { inSync: boolean; action: WidgetAction; syncError: SyncError | null },
): KlarnaCartState {
  return {
    sessionId: session.sessionId,
    clientToken: session.clientToken,
    expiresAt: session.expiresAt.toISOString(),
    syncedVersion: session.syncedVersion,
    inSync: outcome.inSync,
    action: outcome.action,
    syncError: outcome.syncError,
  };
}
