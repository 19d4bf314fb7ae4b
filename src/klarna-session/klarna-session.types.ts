import type { KlarnaPaymentMethodCategory, KlarnaSessionIntent } from '../klarna/klarna.types.js';
import type { SyncError } from './klarna-session.repository.js';

/**
 * What the storefront's Klarna widget must do now: nothing, `load()` the updated session, `init` with a
 * new client token (the session was replaced), or `reauthorize()` (the cart changed after authorization).
 */
export type WidgetAction = 'none' | 'load' | 'init' | 'reauthorize';

/** The `klarna` part of the cart answer. */
export interface KlarnaCartState {
  sessionId: string;
  clientToken: string;
  expiresAt: string;
  syncedVersion: number;
  inSync: boolean;
  action: WidgetAction;
  syncError: SyncError | null;
}

export interface KlarnaSessionAnswer {
  sessionId: string;
  clientToken: string;
  paymentMethodCategories: KlarnaPaymentMethodCategory[];
  expiresAt: string;
  cartVersion: number;
  intent: KlarnaSessionIntent;
}
