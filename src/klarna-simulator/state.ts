/** The simulator's memory: sessions, authorizations, orders and idempotent answers, bounded so a benchmark cannot exhaust it. */
import type { FraudStatus, KlarnaOrderLine, MerchantUrls, OrderStatus, SessionFields } from './klarna-types.js';

export interface StoredSession {
  sessionId: string;
  clientToken: string;
  createdAt: number;
  expiresAt: number;
  status: 'incomplete' | 'complete';
  /** The session's fields as last set by create/update (read-only fields stripped). */
  data: SessionFields;
  /** The newest authorization token that can still place an order. */
  authorizationToken?: string;
  orderId?: string;
}

export interface StoredAuthorization {
  token: string;
  sessionId: string;
  createdAt: number;
  expiresAt: number;
  /** The session content at authorization: create order must match it (else 409). */
  snapshot: SessionFields;
  fraudStatus: Extract<FraudStatus, 'ACCEPTED' | 'PENDING'>;
  state: 'valid' | 'used' | 'cancelled' | 'replaced';
  customerTokenId?: string;
}

export interface StoredCapture {
  capture_id: string;
  klarna_reference: string;
  captured_amount: number;
  captured_at: string;
  description?: string;
  reference?: string;
  order_lines: KlarnaOrderLine[];
  refunded_amount: number;
  shipping_info: unknown[];
}

export interface StoredRefund {
  refund_id: string;
  refunded_amount: number;
  refunded_at: string;
  description?: string;
  reference?: string;
  order_lines: KlarnaOrderLine[];
}

export interface StoredOrder {
  order_id: string;
  session_id: string;
  klarna_reference: string;
  status: OrderStatus;
  fraud_status: FraudStatus;
  order_amount: number;
  original_order_amount: number;
  order_tax_amount: number;
  captured_amount: number;
  refunded_amount: number;
  purchase_country: string;
  purchase_currency: string;
  locale: string;
  order_lines: KlarnaOrderLine[];
  merchant_reference1?: string;
  merchant_reference2?: string;
  merchant_data?: string;
  merchant_urls: MerchantUrls;
  billing_address?: unknown;
  shipping_address?: unknown;
  customer?: unknown;
  createdAt: number;
  expiresAt: number;
  captures: StoredCapture[];
  refunds: StoredRefund[];
  /** Control switch: refuse amount increases, as Klarna's risk check may (POST /_sim/orders/{id}/refuse-increases). */
  refuseIncreases: boolean;
}

/** An answer as sent, kept to replay for a repeated `Klarna-Idempotency-Key`. */
export interface StoredAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Enough for long benchmarks; the oldest entries go first once a store is full. */
const MAX_ENTRIES = 200_000;
/** OM-SPEC / Klarna retry policy: an idempotency key is honoured for 24 hours. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export class SimulatorState {
  readonly sessions = new Map<string, StoredSession>();
  readonly authorizations = new Map<string, StoredAuthorization>();
  readonly orders = new Map<string, StoredOrder>();
  private readonly answers = new Map<string, { at: number; answer: StoredAnswer }>();

  saveSession(session: StoredSession): void {
    putBounded(this.sessions, session.sessionId, session);
  }

  saveAuthorization(authorization: StoredAuthorization): void {
    putBounded(this.authorizations, authorization.token, authorization);
  }

  saveOrder(order: StoredOrder): void {
    putBounded(this.orders, order.order_id, order);
  }

  answerFor(key: string, now: number): StoredAnswer | undefined {
    const entry = this.answers.get(key);
    if (!entry) return undefined;
    if (now - entry.at > IDEMPOTENCY_TTL_MS) {
      this.answers.delete(key);
      return undefined;
    }
    return entry.answer;
  }

  rememberAnswer(key: string, answer: StoredAnswer, now: number): void {
    putBounded(this.answers, key, { at: now, answer });
  }

  clear(): void {
    this.sessions.clear();
    this.authorizations.clear();
    this.orders.clear();
    this.answers.clear();
  }
}

function putBounded<V>(map: Map<string, V>, key: string, value: V): void {
  if (!map.has(key) && map.size >= MAX_ENTRIES) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}
