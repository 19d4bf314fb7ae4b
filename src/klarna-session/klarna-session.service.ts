import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { ConflictError, KlarnaUnavailableError, NotFoundError, UnprocessableError } from '../common/errors.js';
import { idempotencyKeyFor } from '../common/idempotency-key.js';
import { webhookUrl } from '../common/url-signature.js';
import type { PrismaTransaction } from '../database/prisma.service.js';
import type { Db } from '../database/sql.js';
import type { KlarnaAuthorization, KlarnaSession, Prisma } from '../generated/prisma/client.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { KlarnaApiError } from '../klarna/klarna-api.error.js';
import { KlarnaGateway } from '../klarna/klarna-gateway.js';
import { withKlarnaRetries } from '../klarna/klarna-retry.js';
import type {
  KlarnaPaymentMethodCategory,
  KlarnaSessionIntent,
  KlarnaSessionRequest,
  KlarnaSessionView,
} from '../klarna/klarna.types.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { KlarnaSessionRepository, type SyncError } from './klarna-session.repository.js';
import type { KlarnaCartState, KlarnaSessionAnswer } from './klarna-session.types.js';
import { payloadHash, sameOrderContent, type SessionCart } from './session-cart.js';
import { CircuitBreaker, CircuitOpenError } from './circuit-breaker.js';
import { cartState, sessionWrite, settledState, type LiveSession, type PushOutcome } from './klarna-cart-state.js';
import { AUTHORIZATION_LIFETIME_MS, SESSION_LIFETIME_MS, planSync } from './sync-plan.js';

export const SESSION_SYNC_JOB = 'klarna-session.sync';
export const RELEASE_AUTHORIZATIONS_JOB = 'klarna-session.release-authorizations';

/** In a request a transient Klarna failure is queued for retry; inside the retry job it is thrown. */
export type TransientFailureMode = 'enqueue' | 'throw';

/** A write inside the cart's lock is tried twice at most: the lock (and a pooled connection) waits for it. */
const IN_REQUEST_RETRIES = { attempts: 2, backoffMs: 100 };

/**
 * Keeps each cart's Klarna Payments session equal to the cart. Every method runs inside the caller's
 * transaction, which holds the cart's row lock: pushes for one cart are therefore serialised and always
 * carry the latest version, so an older push can never land after a newer one. A push whose outcome is
 * unknown (timeout, 5xx) leaves the session "unknown" until a later push succeeds or a read-back shows that
 * Klarna holds the cart; no order is placed meanwhile.
 */
@Injectable()
export class KlarnaSessionService {
  private readonly logger = new Logger(KlarnaSessionService.name);
  private readonly breaker: CircuitBreaker;

  constructor(
    private readonly sessions: KlarnaSessionRepository,
    private readonly klarna: KlarnaGateway,
    private readonly config: AppConfig,
    private readonly jobs: JobQueueService,
    private readonly metrics: MetricsService,
  ) {
    this.breaker = new CircuitBreaker({
      failureRate: config.klarna.circuitFailurePercent / 100,
      windowMs: config.klarna.circuitWindowMs,
      minCalls: config.klarna.circuitMinCalls,
      coolDownMs: config.klarna.circuitCoolDownMs,
      slowCallMs: config.klarna.slowCallMs,
      isFailure: (error) => error instanceof KlarnaApiError && error.isTransient,
    });
    this.breaker.onOpen(() =>
      this.logger.warn({ event: 'klarna.circuit_opened', coolDownMs: config.klarna.circuitCoolDownMs }),
    );
  }

  /** Pushes a changed cart to its session (or replaces the session); null when the cart has none. */
  async syncCart(db: Db, cart: SessionCart, mode: TransientFailureMode = 'enqueue'): Promise<KlarnaCartState | null> {
    const outcome = await this.pushCart(db, await this.sessions.findByCart(db, cart.id), cart, mode);
    if (!outcome.write) return outcome.state;
    const written = outcome.write.pushed
      ? await this.sessions.recordPush(
          db,
          { id: outcome.write.sessionRowId, cartId: cart.id },
          outcome.write.version,
          outcome.write.payloadHash,
          outcome.write.correlationId,
        )
      : await this.sessions
          .markSynced(db, outcome.write.sessionRowId, outcome.write.version, outcome.write.payloadHash, null)
          .then(() => ({ staled: 0, latestStatus: null }));
    return settledState(outcome, written);
  }

  /**
   * The Klarna side of a cart change, for a caller that writes the session's new state itself (the cart's hot path
   * merges it into its one write statement: src/cart/cart-store.ts). The common outcomes (in sync already, pushed)
   * come back as `write`; the rare ones (a failed push, an empty cart, a replaced session) are written here, on `db`.
   */
  async pushCart(
    db: Db,
    session: LiveSession | null,
    cart: SessionCart,
    mode: TransientFailureMode = 'enqueue',
  ): Promise<PushOutcome> {
    if (!session) return { state: null };
    const hash = payloadHash(cart.orderData);
    const plan = planSync(
      session,
      {
        purchaseCountry: cart.purchaseCountry,
        purchaseCurrency: cart.purchaseCurrency,
        lineCount: cart.orderData.orderLines.length,
        payloadHash: hash,
      },
      new Date(),
    );
    switch (plan.kind) {
      case 'no_session':
        return { state: null };
      case 'hold': {
        const syncError: SyncError = {
          errorCode: 'CART_EMPTY',
          errorMessages: ['Klarna needs at least one order line; the session keeps the last non-empty cart'],
          correlationId: null,
        };
        await this.sessions.recordSyncError(db, session.id, syncError, false);
        return { state: cartState(session, { inSync: false, action: 'none', syncError }) };
      }
      case 'unchanged': {
        const state = cartState(
          { ...session, syncedVersion: cart.version },
          { inSync: true, action: 'none', syncError: null },
        );
        if (session.syncedVersion === cart.version && session.lastSyncError === null) return { state };
        return { state, write: sessionWrite(session, cart, hash, false, null) };
      }
      case 'update':
        return this.pushUpdate(db, session, cart, hash, mode);
      case 'recreate':
        return { state: await this.replaceSession(db, session, cart, hash, plan.reason, mode) };
    }
  }

  /**
   * The retry job: after a push whose outcome was unknown, reads back what Klarna holds and pushes again only
   * when Klarna's lines or amounts differ from the cart's latest version; otherwise as any change.
   */
  async resyncCart(tx: Db, cart: SessionCart): Promise<void> {
    const session = await this.sessions.findByCart(tx, cart.id);
    if (session?.pushOutcomeUnknown && session.status === 'active' && cart.orderData.orderLines.length > 0) {
      const held = await this.readBack(session);
      if (held && sameOrderContent(held, cart.orderData)) {
        await this.sessions.markSynced(tx, session.id, cart.version, payloadHash(cart.orderData), null);
        this.logger.log({ event: 'klarna_session.verified', cartId: cart.id, sessionId: session.sessionId });
        return;
      }
    }
    await this.syncCart(tx, cart, 'throw');
  }

  /**
   * POST /carts/:id/klarna-session: the live session, or a new one (also when the wanted intent differs).
   * `replaced`: a new session took the place of a live one, whose authorizations Klarna should now release.
   * `lockedSession`: the live session as read under the cart's lock, when nothing has written it since.
   */
  async openSession(
    tx: Db,
    cart: SessionCart,
    intent: KlarnaSessionIntent,
    lockedSession?: LiveSession | null,
  ): Promise<{ created: boolean; replaced: boolean; session: KlarnaSessionAnswer }> {
    const existing = await this.liveSessionUnlessRead(tx, cart.id, lockedSession);
    if (
      existing &&
      existing.status === 'active' &&
      existing.intent === intent &&
      existing.expiresAt.getTime() > Date.now()
    ) {
      if (existing.syncedPayloadHash !== payloadHash(cart.orderData) || existing.pushOutcomeUnknown) {
        await this.syncCart(tx, cart);
      }
      const current = (await this.sessions.findByCart(tx, cart.id)) ?? existing;
      const created = current.sessionId !== existing.sessionId;
      return { created, replaced: created, session: sessionAnswer(current) };
    }
    if (cart.orderData.orderLines.length === 0) {
      throw new ConflictError('CART_EMPTY', 'Add at least one item before starting a Klarna session');
    }
    try {
      const saved = await this.createSession(tx, cart, payloadHash(cart.orderData), existing, intent);
      return { created: true, replaced: existing !== null, session: sessionAnswer(saved) };
    } catch (error) {
      throw this.asDomainError(error, cart.id);
    }
  }

  /** GET /carts/:id/klarna-session. */
  async findSession(db: PrismaTransaction, cartId: string): Promise<KlarnaSessionAnswer | null> {
    const session = await this.sessions.findByCart(db, cartId);
    return session ? sessionAnswer(session) : null;
  }

  private async pushUpdate(
    db: Db,
    session: LiveSession,
    cart: SessionCart,
    hash: string,
    mode: TransientFailureMode,
  ): Promise<PushOutcome> {
    try {
      // Update session takes no idempotency key and needs none: the whole cart replaces the last one.
      const correlationId = await this.guarded('updateSession', () =>
        this.klarna.updateSession(session.sessionId, this.sessionRequest(cart)),
      );
      return {
        state: cartState(
          { ...session, syncedVersion: cart.version },
          { inSync: true, action: 'load', syncError: null },
        ),
        write: sessionWrite(session, cart, hash, true, correlationId ?? null),
      };
    } catch (error) {
      if (error instanceof KlarnaApiError && error.isNotFound) {
        return { state: await this.replaceSession(db, session, cart, hash, 'not_found', mode) };
      }
      // Klarna did not take the change (or may have), but the cart did change after any authorization.
      await this.sessions.staleActiveAuthorizations(db, cart.id);
      return { state: await this.recordFailure(db, session, cart, error, mode) };
    }
  }

  private async replaceSession(
    tx: Db,
    session: LiveSession,
    cart: SessionCart,
    hash: string,
    reason: string,
    mode: TransientFailureMode,
  ): Promise<KlarnaCartState> {
    try {
      const saved = await this.createSession(tx, cart, hash, session, session.intent as KlarnaSessionIntent);
      this.logger.log({
        event: 'klarna_session.replaced',
        cartId: cart.id,
        previousSessionId: session.sessionId,
        sessionId: saved.sessionId,
        reason,
      });
      return cartState(saved, { inSync: true, action: 'init', syncError: null });
    } catch (error) {
      return this.recordFailure(tx, session, cart, error, mode);
    }
  }

  /**
   * Create session with a Klarna-Idempotency-Key named by the cart, its version and the session it replaces:
   * a repeat after a lost answer (here, or in the retry job) gets the session Klarna made, not a second one.
   */
  private async createSession(
    tx: Db,
    cart: SessionCart,
    hash: string,
    replaced: LiveSession | null,
    intent: KlarnaSessionIntent,
  ): Promise<KlarnaSession> {
    const idempotencyKey = idempotencyKeyFor('session', cart.id, String(cart.version), replaced?.id ?? '-', intent);
    const request: KlarnaSessionRequest = {
      ...this.sessionRequest(cart),
      intent: intent === 'buy' ? undefined : intent,
      merchantUrls: {
        authorization: webhookUrl(this.config.publicBaseUrl, this.config.webhookSecret, 'authorization', cart.id),
      },
    };
    const created = await withKlarnaRetries(
      () => this.guarded('createSession', () => this.klarna.createSession(request, idempotencyKey)),
      IN_REQUEST_RETRIES,
    );
    const saved = await this.sessions.saveNew(tx, {
      cartId: cart.id,
      sessionId: created.sessionId,
      clientToken: created.clientToken,
      paymentMethodCategories: created.paymentMethodCategories as unknown as Prisma.InputJsonValue,
      purchaseCountry: cart.purchaseCountry,
      purchaseCurrency: cart.purchaseCurrency,
      intent,
      expiresAt: new Date(Date.now() + SESSION_LIFETIME_MS),
      syncedVersion: cart.version,
      syncedPayloadHash: hash,
      lastCorrelationId: created.correlationId ?? null,
    });
    // An authorization is recorded only against the live session, and a replacement expires them all: a cart
    // without a live session has none to expire.
    if (replaced) await this.sessions.expireAuthorizations(tx, cart.id);
    this.logger.log({ event: 'klarna_session.created', cartId: cart.id, sessionId: created.sessionId });
    return saved;
  }

  private async recordFailure(
    tx: Db,
    session: LiveSession,
    cart: SessionCart,
    error: unknown,
    mode: TransientFailureMode,
  ): Promise<KlarnaCartState> {
    if (!(error instanceof KlarnaApiError)) throw error;
    const syncError: SyncError = {
      errorCode: error.errorCode,
      errorMessages: error.errorMessages,
      correlationId: error.correlationId ?? null,
    };
    this.metrics.klarnaSyncFailures.inc({
      reason: error.outcomeUnknown ? 'unknown' : error.isTransient ? 'unavailable' : 'rejected',
    });
    this.logger.warn({
      event: 'klarna_session.sync_failed',
      cartId: cart.id,
      sessionId: session.sessionId,
      cartVersion: cart.version,
      ...error.toLog(),
    });
    await this.sessions.recordSyncError(tx, session.id, syncError, error.outcomeUnknown);
    if (error.isTransient) {
      if (mode === 'throw') throw error;
      await this.scheduleSync(cart.id);
    }
    return cartState(session, { inSync: false, action: 'none', syncError });
  }

  async scheduleSync(cartId: string): Promise<void> {
    await this.jobs.send(
      SESSION_SYNC_JOB,
      { cartId },
      {
        singletonKey: cartId,
        retryLimit: 50,
        retryDelay: 1,
        retryBackoff: true,
        retryDelayMax: Math.ceil(this.config.klarna.retryMaxDelayMs / 1000),
      },
    );
  }

  /** Reads what Klarna holds for a session; null when Klarna no longer has it (the next push replaces it). */
  private async readBack(session: LiveSession): Promise<KlarnaSessionView | null> {
    try {
      return await this.klarna.readSession(session.sessionId);
    } catch (error) {
      if (error instanceof KlarnaApiError && error.isNotFound) return null;
      throw error;
    }
  }

  /** A Klarna call on the cart's path, skipped while the circuit is open (see circuit-breaker.ts). */
  private async guarded<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await this.breaker.call(call);
    } catch (error) {
      if (!(error instanceof CircuitOpenError)) throw error;
      throw new KlarnaApiError(
        operation,
        undefined,
        'KLARNA_CIRCUIT_OPEN',
        [`Klarna is failing or slow; calls paused for ${Math.ceil(error.remainingMs / 1000)} s`],
        undefined,
        'network',
      );
    }
  }

  private sessionRequest(cart: SessionCart): KlarnaSessionRequest {
    return { ...cart.orderData };
  }

  private asDomainError(error: unknown, cartId: string): unknown {
    if (!(error instanceof KlarnaApiError)) return error;
    this.logger.warn({ event: 'klarna_session.create_failed', cartId, ...error.toLog() });
    return error.isTransient
      ? new KlarnaUnavailableError('Klarna is not answering; try again shortly', error.correlationId)
      : new UnprocessableError(
          'KLARNA_REJECTED',
          `Klarna refused the session: ${error.errorCode}`,
          error.correlationId,
        );
  }

  /**
   * Records an authorization token for the cart's live session (idempotent per token). It is bound to that
   * session and to the cart version the session held: what the shopper's widget authorized. `lockedSession`: the
   * cart's live session as the caller read it under the cart's lock in this transaction (not read again).
   */
  async recordAuthorization(
    tx: Db,
    cartId: string,
    authorizationToken: string,
    source: 'storefront' | 'callback',
    heldForReview: boolean,
    read: { session?: LiveSession | null; authorization?: KlarnaAuthorization | null } = {},
  ): Promise<KlarnaAuthorization> {
    const known =
      read.authorization === undefined
        ? await this.sessions.findAuthorization(tx, authorizationToken)
        : read.authorization;
    if (known) {
      if (known.cartId !== cartId)
        throw new UnprocessableError('AUTHORIZATION_INVALID', 'This authorization belongs to another cart');
      // The storefront's word on holding for review wins over the callback's default.
      if (source === 'storefront' && known.heldForReview !== heldForReview && known.status === 'active') {
        return this.sessions.setHeldForReview(tx, known.id, heldForReview);
      }
      return known;
    }
    const session = await this.liveSessionUnlessRead(tx, cartId, read.session);
    if (!session) throw new NotFoundError('NO_KLARNA_SESSION', `Cart ${cartId} has no Klarna session`);
    return this.sessions.createAuthorization(tx, {
      cartId,
      klarnaSessionId: session.id,
      authorizationToken,
      cartVersion: session.syncedVersion,
      source,
      heldForReview,
      expiresAt: new Date(Date.now() + AUTHORIZATION_LIFETIME_MS),
    });
  }

  findAuthorization(db: Db, authorizationToken: string): Promise<KlarnaAuthorization | null> {
    return this.sessions.findAuthorization(db, authorizationToken);
  }

  findAuthorizationById(db: PrismaTransaction, id: string): Promise<KlarnaAuthorization | null> {
    return this.sessions.findAuthorizationById(db, id);
  }

  latestActiveAuthorization(db: PrismaTransaction, cartId: string): Promise<KlarnaAuthorization | null> {
    return this.sessions.latestActiveAuthorization(db, cartId);
  }

  async setAuthorizationStatus(
    db: PrismaTransaction,
    authorizationId: string,
    status: 'active' | 'stale' | 'consumed' | 'cancelled' | 'expired',
  ): Promise<void> {
    await this.sessions.updateAuthorization(db, authorizationId, { status });
  }

  /**
   * Why an authorization cannot become an order for this cart version now, or undefined when it can:
   * the session it came from must be the live one, known to hold exactly this cart, and the authorization
   * must be the live one for it. `lockedSession` as for recordAuthorization.
   */
  async placementBlocker(
    db: Db,
    cart: { id: string; version: number },
    authorization: KlarnaAuthorization,
    lockedSession?: LiveSession | null,
  ): Promise<'stale' | 'expired' | 'out_of_sync' | undefined> {
    if (authorization.status === 'expired' || authorization.expiresAt.getTime() <= Date.now()) return 'expired';
    if (authorization.status !== 'active') return 'stale';
    const session = await this.liveSessionUnlessRead(db, cart.id, lockedSession);
    if (!session || session.id !== authorization.klarnaSessionId) return 'stale';
    if (session.syncedVersion !== cart.version || session.lastSyncError !== null || session.pushOutcomeUnknown) {
      return 'out_of_sync';
    }
    if (authorization.cartVersion !== cart.version) return 'stale';
    return undefined;
  }

  /** The Klarna session an authorization came from (reconciliation reads that one, not the cart's live one). */
  async sessionOf(db: Db, authorization: KlarnaAuthorization): Promise<KlarnaSession | null> {
    return this.sessions.findById(db, authorization.klarnaSessionId);
  }

  /** Klarna's view of a session: `complete` once an order was created from it. */
  readKlarnaSession(sessionId: string): Promise<KlarnaSessionView> {
    return this.klarna.readSession(sessionId);
  }

  /** The session the caller read under the cart's lock (null: none), or, when it read none (undefined), the live one. */
  private async liveSessionUnlessRead(
    db: Db,
    cartId: string,
    lockedSession: LiveSession | null | undefined,
  ): Promise<LiveSession | null> {
    return lockedSession === undefined ? this.sessions.findByCart(db, cartId) : lockedSession;
  }

  /** Klarna's authorization callback: the cart's live session and the authorization with this token, in one read. */
  liveSessionAndAuthorization(
    db: Db,
    cartId: string,
    authorizationToken: string,
  ): Promise<{ session: KlarnaSession | null; authorization: KlarnaAuthorization | null }> {
    return this.sessions.findLiveSessionAndAuthorization(db, cartId, authorizationToken);
  }

  /** The cart's live session (a customer token needs one opened with intent tokenize or buy_and_tokenize). */
  async liveSession(db: Db, cartId: string): Promise<KlarnaSession | null> {
    return this.sessions.findByCart(db, cartId);
  }

  async saveCustomerToken(
    db: PrismaTransaction,
    token: { cartId: string; tokenId: string; intendedUse: string; description: string },
  ): Promise<void> {
    await this.sessions.saveCustomerToken(db, token);
  }

  /** Queues the release at Klarna of the cart's authorizations that will never become orders (after commit). */
  async scheduleRelease(cartId: string): Promise<void> {
    await this.jobs.send(
      RELEASE_AUTHORIZATIONS_JOB,
      { cartId },
      {
        singletonKey: cartId,
        retryLimit: 20,
        retryDelay: 1,
        retryBackoff: true,
        retryDelayMax: Math.ceil(this.config.klarna.retryMaxDelayMs / 1000),
      },
    );
  }

  /**
   * Releases at Klarna every authorization of the cart (or, without a cart, any) that will never become an order
   * (Klarna: releasing is faster than letting it lapse, and frees the shopper's credit). Cancel authorization
   * takes no idempotency key and needs none: 404 means it is gone already. A transient failure is thrown (the job
   * retries). Returns how many were released.
   */
  async releaseUnusedAuthorizations(db: PrismaTransaction, cartId?: string): Promise<number> {
    const pending = await this.sessions.unreleasedAuthorizations(db, { cartId, limit: 100 });
    for (const authorization of pending) await this.release(db, authorization);
    return pending.length;
  }

  /** Releases one authorization at Klarna now; 404 (already gone) counts as released. */
  async release(db: PrismaTransaction, authorization: KlarnaAuthorization): Promise<void> {
    try {
      await withKlarnaRetries(() => this.klarna.cancelAuthorization(authorization.authorizationToken), {
        attempts: 2,
        backoffMs: 100,
      });
    } catch (error) {
      if (!(error instanceof KlarnaApiError) || !error.isNotFound) {
        this.logger.warn({
          event: 'authorization.release_failed',
          cartId: authorization.cartId,
          ...(error instanceof KlarnaApiError ? error.toLog() : {}),
        });
        throw error;
      }
    }
    await this.sessions.markReleased(db, authorization.id);
    this.logger.log({ event: 'authorization.released', cartId: authorization.cartId });
  }
}

function sessionAnswer(session: LiveSession): KlarnaSessionAnswer {
  return {
    sessionId: session.sessionId,
    clientToken: session.clientToken,
    paymentMethodCategories: session.paymentMethodCategories as unknown as KlarnaPaymentMethodCategory[],
    expiresAt: session.expiresAt.toISOString(),
    cartVersion: session.syncedVersion,
    intent: session.intent as KlarnaSessionIntent,
  };
}
