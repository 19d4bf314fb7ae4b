/**
 * Klarna Payments (KP) v1: sessions, authorizations (the shopper's side is in control-api.ts), orders and
 * customer tokens. Bodies arrive already checked against KP-SPEC; these handlers add Klarna's business rules
 * and state. Errors are thrown as KlarnaError.
 */
import { randomUUID } from 'node:crypto';
import { fillPlaceholders } from './callbacks.js';
import { KlarnaError, badValues, invalidAuthorizationToken, invalidSession } from './klarna-error.js';
import type { CreateOrderRequest, CustomerTokenRequest, OrderAmounts, SessionFields } from './klarna-types.js';
import { capture } from './order-management-api.js';
import { DEFAULT_LOCALE, badValue, marketProblems, orderProblems } from './order-rules.js';
import type { OperationResult, SimulatorContext } from './simulator-context.js';
import type { StoredAuthorization, StoredOrder, StoredSession } from './state.js';

const HOUR_MS = 60 * 60 * 1000;
/** Docs (step 1, initiate a payment): a KP session stays open 48 h or until an order is placed. */
export const SESSION_LIFETIME_MS = 48 * HOUR_MS;
/** Docs (authorize): an authorization guarantees an order can be created for 60 minutes. */
export const AUTHORIZATION_LIFETIME_MS = HOUR_MS;
/** Docs (extended authorization expiration): an OM order's authorization lasts 28 days by default. */
export const ORDER_AUTHORIZATION_LIFETIME_MS = 28 * 24 * HOUR_MS;

/** KP-SPEC marks these read-only: sent in a create/update body they are ignored, as Klarna does. */
const READ_ONLY_FIELDS = ['authorization_token', 'client_token', 'expires_at', 'payment_method_categories', 'status'];

/** Create order must repeat exactly what was authorized in these fields (KP-SPEC createOrder 409). */
const AUTHORIZED_FIELDS = [
  'purchase_country',
  'purchase_currency',
  'order_amount',
  'order_tax_amount',
  'order_lines',
] as const;

export class PaymentsApi {
  constructor(private readonly context: SimulatorContext) {}

  createSession(body: SessionFields): OperationResult {
    const data = withoutReadOnly(body);
    const problems = orderProblems(data as OrderAmounts);
    if (problems.length > 0) throw badValues(problems);
    const now = this.context.clock.now();
    const session: StoredSession = {
      sessionId: randomUUID(),
      clientToken: '',
      createdAt: now,
      expiresAt: now + SESSION_LIFETIME_MS,
      status: 'incomplete',
      data,
    };
    session.clientToken = clientTokenFor(session.sessionId);
    this.context.state.saveSession(session);
    return {
      status: 200,
      body: {
        session_id: session.sessionId,
        client_token: session.clientToken,
        payment_method_categories: paymentMethodCategories(),
      },
    };
  }

  readSession(sessionId: string): OperationResult {
    const session = this.openSession(sessionId);
    const token = this.usableToken(session);
    return {
      status: 200,
      body: {
        ...session.data,
        locale: session.data.locale ?? DEFAULT_LOCALE,
        client_token: session.clientToken,
        status: session.status,
        expires_at: new Date(session.expiresAt).toISOString(),
        payment_method_categories: paymentMethodCategories(),
        ...(token ? { authorization_token: token } : {}),
      },
    };
  }

  /** Klarna: POST (not PATCH) with the fields to change; 204. A completed session cannot change (SESSION_COMPLETED). */
  updateSession(sessionId: string, body: SessionFields): OperationResult {
    const session = this.openSession(sessionId);
    if (session.status === 'complete') throw new KlarnaError(404, 'SESSION_COMPLETED', ['Session is completed']);
    const changes = withoutReadOnly(body);
    const currency = session.data.purchase_currency ?? '';
    if (changes.purchase_currency !== undefined && changes.purchase_currency.toUpperCase() !== currency.toUpperCase()) {
      // Klarna docs (update the cart): the currency of a session cannot change; a new session is needed.
      throw badValues([badValue('purchase_currency')]);
    }
    const data = { ...session.data, ...changes };
    const problems = orderProblems(data as OrderAmounts);
    if (problems.length > 0) throw badValues(problems);
    session.data = data;
    return { status: 204 };
  }

  createOrder(token: string, body: CreateOrderRequest): OperationResult {
    const authorization = this.validAuthorization(token);
    const problems = orderProblems(body);
    if (problems.length > 0) throw badValues(problems);
    const mismatches = AUTHORIZED_FIELDS.filter((field) => !sameAuthorizedValue(field, authorization.snapshot, body));
    if (mismatches.length > 0) throw new KlarnaError(409, 'BAD_VALUE', mismatches.map(badValue));
    const session = this.context.state.sessions.get(authorization.sessionId);
    if (!session) throw invalidAuthorizationToken();

    const now = this.context.clock.now();
    const orderId = randomUUID();
    const merchantUrls = { ...session.data.merchant_urls, ...body.merchant_urls };
    const order: StoredOrder = {
      order_id: orderId,
      session_id: session.sessionId,
      klarna_reference: klarnaReference(),
      status: 'AUTHORIZED',
      fraud_status: authorization.fraudStatus,
      order_amount: body.order_amount,
      original_order_amount: body.order_amount,
      order_tax_amount: body.order_tax_amount ?? 0,
      captured_amount: 0,
      refunded_amount: 0,
      purchase_country: body.purchase_country.toUpperCase(),
      purchase_currency: body.purchase_currency.toUpperCase(),
      locale: body.locale ?? session.data.locale ?? DEFAULT_LOCALE,
      order_lines: body.order_lines,
      merchant_reference1: body.merchant_reference1 ?? session.data.merchant_reference1,
      merchant_reference2: body.merchant_reference2 ?? session.data.merchant_reference2,
      merchant_data: stringField(body.merchant_data ?? session.data.merchant_data),
      merchant_urls: merchantUrls,
      billing_address: body.billing_address ?? session.data.billing_address,
      shipping_address: body.shipping_address ?? session.data.shipping_address,
      customer: body.customer ?? session.data.customer,
      createdAt: now,
      expiresAt: now + ORDER_AUTHORIZATION_LIFETIME_MS,
      captures: [],
      refunds: [],
      refuseIncreases: false,
    };
    // A pending order must not be shipped (docs: pending orders), so auto_capture waits for an accepted one.
    if (body.auto_capture === true && order.fraud_status === 'ACCEPTED') {
      capture(
        order,
        { captured_amount: order.order_amount, order_lines: order.order_lines },
        this.context.clock.nowIso(),
      );
    }
    this.context.state.saveOrder(order);
    authorization.state = 'used';
    session.status = 'complete';
    session.orderId = orderId;
    session.authorizationToken = undefined;

    const ids = { sessionId: session.sessionId, orderId };
    const redirectUrl = merchantUrls.confirmation
      ? fillPlaceholders(merchantUrls.confirmation, ids)
      : `${this.context.baseUrl()}/redirect/${orderId}`;
    const push = merchantUrls.push;
    return {
      status: 200,
      body: { order_id: orderId, redirect_url: redirectUrl, fraud_status: order.fraud_status },
      afterResponse: push ? () => this.context.callbacks.send('push', fillPlaceholders(push, ids), {}) : undefined,
    };
  }

  /** Docs (release authorization): DELETE releases the hold; an unknown or used token answers 404 NOT_FOUND. */
  cancelAuthorization(token: string): OperationResult {
    const authorization = this.validAuthorization(token);
    authorization.state = 'cancelled';
    const session = this.context.state.sessions.get(authorization.sessionId);
    if (session?.authorizationToken === token) session.authorizationToken = undefined;
    return { status: 204 };
  }

  /**
   * KP-SPEC purchaseToken: a customer token for recurring purchases from a valid authorization. The same token_id
   * comes back for a repeat; the authorization stays usable for create order (buy_and_tokenize).
   */
  createCustomerToken(token: string, body: CustomerTokenRequest): OperationResult {
    const authorization = this.validAuthorization(token);
    // KP-SPEC session.intent: only a session opened to tokenize (or buy and tokenize) yields a customer token.
    const intent = authorization.snapshot.intent ?? 'buy';
    if (intent !== 'tokenize' && intent !== 'buy_and_tokenize') {
      throw new KlarnaError(403, 'INVALID_OPERATION', [
        `A customer token needs a session with intent tokenize or buy_and_tokenize, not ${intent}`,
      ]);
    }
    const problems = marketProblems(body);
    if (problems.length > 0) throw badValues(problems);
    const mismatches = (['purchase_country', 'purchase_currency'] as const).filter(
      (field) => !sameAuthorizedValue(field, authorization.snapshot, body),
    );
    if (mismatches.length > 0) throw new KlarnaError(409, 'BAD_VALUE', mismatches.map(badValue));
    authorization.customerTokenId ??= randomUUID();
    return {
      status: 200,
      body: {
        token_id: authorization.customerTokenId,
        redirect_url: `${this.context.baseUrl()}/redirect/customer-token/${authorization.customerTokenId}`,
      },
    };
  }

  /** The shopper's `authorize()` / `reauthorize()`: a fresh token for the session's current content. */
  authorize(sessionId: string, outcome: 'approved' | 'denied' | 'fraud_pending', callbackDelayMs = 0): OperationResult {
    const session = this.openSession(sessionId);
    if (session.status === 'complete') throw new KlarnaError(409, 'SESSION_COMPLETED', ['Session is completed']);
    if (outcome === 'denied') return { status: 200, body: { approved: false } };
    const previous = session.authorizationToken && this.context.state.authorizations.get(session.authorizationToken);
    // Klarna docs (update the cart): a new authorize() gives a new token and the merchant must use the new one.
    if (previous && previous.state === 'valid') previous.state = 'replaced';
    const now = this.context.clock.now();
    const fraudStatus: StoredAuthorization['fraudStatus'] = outcome === 'fraud_pending' ? 'PENDING' : 'ACCEPTED';
    const authorization: StoredAuthorization = {
      token: randomUUID(),
      sessionId,
      createdAt: now,
      expiresAt: now + AUTHORIZATION_LIFETIME_MS,
      snapshot: session.data,
      fraudStatus,
      state: 'valid',
    };
    this.context.state.saveAuthorization(authorization);
    session.authorizationToken = authorization.token;
    const callbackUrl = session.data.merchant_urls?.authorization;
    return {
      status: 200,
      body: { approved: true, authorization_token: authorization.token, fraud_status: authorization.fraudStatus },
      afterResponse: callbackUrl
        ? () =>
            this.context.callbacks.send(
              'authorization',
              fillPlaceholders(callbackUrl, { sessionId }),
              {
                authorization_token: authorization.token,
                session_id: sessionId,
              },
              callbackDelayMs,
            )
        : undefined,
    };
  }

  /** A session that exists and is younger than 48 h; otherwise Klarna's 404 "Invalid session id". */
  openSession(sessionId: string): StoredSession {
    const session = this.context.state.sessions.get(sessionId);
    if (!session || this.context.clock.now() >= session.expiresAt) throw invalidSession();
    return session;
  }

  private validAuthorization(token: string): StoredAuthorization {
    const authorization = this.context.state.authorizations.get(token);
    if (!authorization || authorization.state !== 'valid' || this.context.clock.now() >= authorization.expiresAt) {
      throw invalidAuthorizationToken();
    }
    return authorization;
  }

  private usableToken(session: StoredSession): string | undefined {
    const token = session.authorizationToken;
    const authorization = token ? this.context.state.authorizations.get(token) : undefined;
    if (!authorization || authorization.state !== 'valid') return undefined;
    return this.context.clock.now() < authorization.expiresAt ? authorization.token : undefined;
  }
}

function withoutReadOnly(body: SessionFields): SessionFields {
  const data: SessionFields = { ...body };
  for (const field of READ_ONLY_FIELDS) delete data[field];
  return data;
}

function sameAuthorizedValue(
  field: (typeof AUTHORIZED_FIELDS)[number],
  authorized: SessionFields,
  requested: Partial<OrderAmounts>,
): boolean {
  switch (field) {
    case 'purchase_country':
    case 'purchase_currency':
      return (authorized[field] ?? '').toUpperCase() === (requested[field] ?? '').toUpperCase();
    case 'order_tax_amount':
      return (authorized.order_tax_amount ?? 0) === (requested.order_tax_amount ?? 0);
    case 'order_amount':
      return authorized.order_amount === requested.order_amount;
    case 'order_lines':
      return sameJson(authorized.order_lines, requested.order_lines);
  }
}

/** Deep equality of JSON values, ignoring key order. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => sameJson(item, b[index]));
  }
  const left = Object.entries(a).filter(([, value]) => value !== undefined);
  const right = b as Record<string, unknown>;
  const rightKeys = Object.keys(right).filter((key) => right[key] !== undefined);
  return left.length === rightKeys.length && left.every(([key, value]) => sameJson(value, right[key]));
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Shaped like Klarna's (a JWT the JS SDK reads) so clients that split it on dots keep working; not signed. */
function clientTokenFor(sessionId: string): string {
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ session_id: sessionId, simulator: true })}.`;
}

function klarnaReference(): string {
  return randomUUID().replaceAll('-', '').slice(0, 8).toUpperCase();
}

function paymentMethodCategories(): object[] {
  return [
    {
      identifier: 'klarna',
      name: 'Pay with Klarna',
      asset_urls: {
        descriptive: 'https://x.klarnacdn.net/payment-method/assets/badges/generic/klarna.svg',
        standard: 'https://x.klarnacdn.net/payment-method/assets/badges/generic/klarna.svg',
      },
    },
  ];
}
