import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { CartQueue } from '../cart/cart-queue.js';
import { CartService } from '../cart/cart.service.js';
import { AppConfig } from '../config/app-config.js';
import {
  CartChangedError,
  ConflictError,
  DomainError,
  KlarnaUnavailableError,
  NotFoundError,
  ServiceUnavailableError,
  UnprocessableError,
} from '../common/errors.js';
import { webhookUrl } from '../common/url-signature.js';
import { PrismaService, transactionOptionsFor } from '../database/prisma.service.js';
import type { Db } from '../database/sql.js';
import { inTransaction } from '../database/transaction.js';
import type { KlarnaAuthorization } from '../generated/prisma/client.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { KlarnaApiError } from '../klarna/klarna-api.error.js';
import { KlarnaGateway } from '../klarna/klarna-gateway.js';
import { withKlarnaRetries } from '../klarna/klarna-retry.js';
import type { KlarnaManagedOrder, KlarnaOrderData, PlacedKlarnaOrder } from '../klarna/klarna.types.js';
import { KlarnaSessionService } from '../klarna-session/klarna-session.service.js';
import { DiscountService } from '../discount/discount.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { recordKlarnaOrder } from './klarna-order-sync.js';
import { autoCaptureFor, remainingAuthorized } from './order-management-rules.js';
import { advanceStatus, isUnresolved, statusFromKlarna } from './order-state.js';
import { OrderRepository } from './order.repository.js';
import type { OrderRecord, OrderView, PlacementAnswer, ReceiptView } from './order.types.js';

export const PLACE_FROM_CALLBACK_JOB = 'order.place-from-callback';
/** Completes a placement whose Klarna outcome is not known yet (the job name predates this wording). */
export const COMPLETE_PLACEMENT_JOB = 'order.reconcile';

/** Klarna keeps an idempotency key's answer for 24 hours: after that a retry can no longer find the order. */
const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** The storefront's request tries create order twice at most; the background job goes on from there. */
const IN_REQUEST_RETRIES = { attempts: 2, backoffMs: 150 };

type Phase1 =
  | { kind: 'existing'; order: OrderRecord }
  | { kind: 'already_ordered'; authorization: KlarnaAuthorization; source: 'storefront' | 'callback' }
  | { kind: 'authorized' }
  | { kind: 'skipped'; reason: string }
  | {
      kind: 'place';
      order: OrderRecord;
      authorization: KlarnaAuthorization;
      orderData: KlarnaOrderData;
      unreleasedAuthorizations: boolean;
    }
  | { kind: 'refused'; error: DomainError };

/** What one attempt at create order (with its retries) came to. */
type AttemptOutcome =
  | { kind: 'placed'; order: OrderRecord }
  | { kind: 'refused'; error: DomainError }
  | { kind: 'unknown'; reason: string; correlationId?: string };

export type PlacementOutcome =
  | { kind: 'placed'; created: boolean; answer: PlacementAnswer }
  | { kind: 'authorized' }
  | { kind: 'skipped'; reason: string };

/** What a push or notification did: acted on, or not for us (then it is not marked processed). */
export type KlarnaOrderCallbackOutcome = 'applied' | 'not_ours';

/**
 * Turns an authorization into exactly one Klarna order per cart, or a released token. The cart's row lock
 * serialises the storefront's call, Klarna's authorization callback and double clicks; the order row
 * (`placing`, its id the Klarna-Idempotency-Key) is committed before Klarna is called, and the cart refuses
 * every change until the outcome is known. An unknown outcome (timeout, 5xx, cut connection, 429, an
 * unreadable answer) is retried with the same key, from the request and then from a job, never guessed: a
 * 4xx settles it as `failed` only when no earlier attempt under the key could have reached Klarna, or when the
 * authorization's own session shows Klarna made no order. Unresolved past PLACEMENT_ATTENTION_AFTER_MS it
 * becomes `needs_attention` for ops. No order row is ever deleted.
 */
@Injectable()
export class OrderService {
  private readonly logger = new Logger(OrderService.name);
  private readonly transactionOptions: { timeout: number; maxWait: number };

  constructor(
    private readonly prisma: PrismaService,
    private readonly orders: OrderRepository,
    private readonly carts: CartService,
    private readonly klarnaSessions: KlarnaSessionService,
    private readonly discounts: DiscountService,
    private readonly klarna: KlarnaGateway,
    private readonly jobs: JobQueueService,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
    private readonly cartQueue: CartQueue,
  ) {
    this.transactionOptions = transactionOptionsFor(config);
  }

  /** POST /carts/:id/klarna-session/authorizations. */
  async authorize(cartId: string, authorizationToken: string, finalize: boolean): Promise<PlacementOutcome> {
    return this.cartQueue.run(cartId, () =>
      this.place(cartId, { token: authorizationToken, source: 'storefront', finalize }),
    );
  }

  /** POST /carts/:id/order: the order review page confirms the held authorization. */
  async placeReviewedOrder(cartId: string): Promise<PlacementOutcome> {
    return this.cartQueue.run(cartId, () => this.placeReviewed(cartId));
  }

  private async placeReviewed(cartId: string): Promise<PlacementOutcome> {
    const authorization = await this.klarnaSessions.latestActiveAuthorization(this.prisma, cartId);
    if (!authorization) {
      const existing = await this.orders.findLiveByCart(this.prisma, cartId);
      if (existing) return { kind: 'placed', created: false, answer: await this.answerFor(existing) };
      await this.carts.getCart(cartId);
      throw new ConflictError('REAUTHORIZATION_REQUIRED', 'No live authorization: reauthorize with Klarna first');
    }
    return this.place(cartId, { token: authorization.authorizationToken, source: 'storefront', finalize: true });
  }

  /** Klarna's authorization callback, after the grace period: places the order unless someone else should. */
  async placeFromCallback(cartId: string, authorizationToken: string): Promise<PlacementOutcome> {
    // Mostly the storefront placed the order with this authorization during the grace period. An authorization an
    // order consumed stays consumed, so one read without the cart's lock settles that (the placement's own check
    // would take the lock and read the whole cart to learn the same).
    const known = await this.klarnaSessions.findAuthorization(this.prisma.pool, authorizationToken);
    if (known?.status === 'consumed' && known.cartId === cartId) {
      this.logger.log({ event: 'order.callback_skipped', cartId, reason: 'already_placed' });
      return { kind: 'skipped', reason: 'already_placed' };
    }
    return this.place(cartId, { token: authorizationToken, source: 'callback', finalize: true });
  }

  /** Records a callback's authorization now and schedules its placement after the grace period. */
  async acceptAuthorizationCallback(cartId: string, sessionId: string, authorizationToken: string): Promise<boolean> {
    const accepted = await this.carts.inCheckout(cartId, async (db) => {
      const read = await this.klarnaSessions.liveSessionAndAuthorization(db, cartId, authorizationToken);
      if (read.session?.sessionId !== sessionId) return false;
      // Also for an ordered cart: the placement job then releases this second authorization at Klarna.
      await this.klarnaSessions.recordAuthorization(db, cartId, authorizationToken, 'callback', false, read);
      return true;
    });
    if (accepted) {
      await this.jobs.send(
        PLACE_FROM_CALLBACK_JOB,
        { cartId, authorizationToken },
        {
          singletonKey: authorizationToken,
          startAfter: new Date(Date.now() + this.config.authorizationCallbackGraceMs),
          retryLimit: 5,
          retryDelay: 2,
          retryBackoff: true,
        },
      );
    }
    return accepted;
  }

  async getReceipt(orderId: string): Promise<ReceiptView> {
    return receiptView(await this.findOrder(orderId));
  }

  /** The operations' view (ops endpoints answer with it). */
  async getOrder(orderId: string): Promise<OrderView> {
    return orderView(await this.findOrder(orderId));
  }

  private async findOrder(orderId: string): Promise<OrderRecord> {
    const order = await this.orders.findById(this.prisma, orderId);
    if (!order) throw new NotFoundError('ORDER_NOT_FOUND', `Order ${orderId} does not exist`);
    return order;
  }

  /**
   * Klarna's push or notification for the cart: never trusts the request; reads the order from Order
   * Management, matches it to ours by `merchant_reference1` (our order id) and the signed cart, completes a
   * placement whose answer was lost and moves the order forward. A Klarna order naming none of our orders is
   * kept as unmatched for ops. `onApplied` runs in the same transaction when the order was moved (the webhook marks
   * its delivery processed there).
   */
  async applyKlarnaOrder(
    cartId: string,
    klarnaOrderId: string,
    onApplied?: (db: Db) => Promise<void>,
  ): Promise<KlarnaOrderCallbackOutcome> {
    let klarnaOrder: KlarnaManagedOrder;
    try {
      klarnaOrder = await withKlarnaRetries(() => this.klarna.getOrder(klarnaOrderId), IN_REQUEST_RETRIES);
    } catch (error) {
      if (error instanceof KlarnaApiError && error.isNotFound) return 'not_ours';
      if (error instanceof KlarnaApiError && error.isTransient) {
        // A 503 makes Klarna deliver the callback again later.
        throw new KlarnaUnavailableError('Klarna Order Management is not answering', error.correlationId);
      }
      throw error;
    }
    // The transaction's BEGIN also reads the order Klarna names by `merchant_reference1` (one round trip).
    let order: OrderRecord | null = null;
    return inTransaction(
      this.prisma.pool,
      (tx) => this.applyToOrder(tx, order, cartId, klarnaOrderId, klarnaOrder, onApplied),
      async (client) => (order = await this.orders.beginReadingOrder(client, klarnaOrder.merchantReference1 ?? null)),
    );
  }

  /** applyKlarnaOrder's transaction, with the order it read (none: Klarna's order names none of ours). */
  private async applyToOrder(
    tx: Db,
    order: OrderRecord | null,
    cartId: string,
    klarnaOrderId: string,
    klarnaOrder: KlarnaManagedOrder,
    onApplied: ((db: Db) => Promise<void>) | undefined,
  ): Promise<KlarnaOrderCallbackOutcome> {
    if (!order) {
      await this.recordUnmatched(tx, klarnaOrder, cartId, 'unknown_merchant_reference');
      return 'not_ours';
    }
    if (order.cartId !== cartId) {
      this.logger.warn({ event: 'webhook.cart_mismatch', cartId, orderId: order.id, klarnaOrderId });
      return 'not_ours';
    }
    if (order.status === 'failed' || (order.klarnaOrderId && order.klarnaOrderId !== klarnaOrderId)) {
      await this.recordUnmatched(tx, klarnaOrder, cartId, order.status === 'failed' ? 'order_failed' : 'second_order');
      return 'not_ours';
    }
    if (isUnresolved(order.status)) await this.finishPlacement(tx, order, klarnaOrder);
    await this.applyManagedState(tx, order, klarnaOrder);
    await onApplied?.(tx);
    return 'applied';
  }

  /** Moves our order to what Order Management says, forward only (enforced in SQL). */
  async applyManagedState(tx: Db, order: OrderRecord, klarnaOrder: KlarnaManagedOrder): Promise<void> {
    const wanted = advanceStatus(isUnresolved(order.status) ? 'placed' : order.status, statusFromKlarna(klarnaOrder));
    const after = await this.orders.advanceState(tx, order.id, {
      status: wanted,
      fraudStatus: klarnaOrder.fraudStatus,
      capturedAmount: klarnaOrder.capturedAmount,
    });
    await recordKlarnaOrder(this.orders, tx, order.id, klarnaOrder);
    if (after && after.status !== order.status) {
      this.logger.log({
        event: `order.${after.status}`,
        orderId: order.id,
        cartId: order.cartId,
        klarnaOrderId: klarnaOrder.orderId,
      });
    }
  }

  /**
   * The background job for a placement whose outcome is open: create order again with the same idempotency key
   * (Klarna answers with the one order it made, or makes it now). Throws while the outcome stays unknown, so the
   * job is retried with backoff; gives up (leaving it to ops) once Klarna no longer keeps the key.
   */
  async completePlacement(orderId: string): Promise<void> {
    const order = await this.orders.findById(this.prisma, orderId);
    if (!order || !isUnresolved(order.status) || !order.authorizationId) return;
    const age = Date.now() - order.createdAt.getTime();
    if (age > IDEMPOTENCY_WINDOW_MS) {
      this.logger.warn({ event: 'order.retry_window_over', orderId, cartId: order.cartId });
      return;
    }
    if (order.status === 'placing' && age > this.config.placementAttentionAfterMs) {
      await this.markNeedsAttention(order.id, order.cartId, 'Klarna has not confirmed the outcome in time');
    }
    const authorization = await this.klarnaSessions.findAuthorizationById(this.prisma, order.authorizationId);
    if (!authorization) return;
    const { sessionCart } = await this.prisma.$transaction((tx) => this.carts.lockForCheckout(tx, order.cartId));
    this.logger.log({ event: 'order.placement_retried', orderId, cartId: order.cartId });
    const outcome = await this.attemptPlacement(order, authorization, sessionCart.orderData, {
      attempts: 1,
      backoffMs: 0,
    });
    if (outcome.kind === 'unknown') {
      throw new KlarnaUnavailableError(`Order ${orderId}: ${outcome.reason}; retrying`, outcome.correlationId);
    }
  }

  /**
   * Every 30 s: placements open for over a minute are logged and handed to the job; those open past
   * PLACEMENT_ATTENTION_AFTER_MS become `needs_attention` (logged, counted, listed for ops). Returns the number
   * of placements open for over a minute and of those needing attention.
   */
  async sweepOpenPlacements(): Promise<{ stuck: number; needingAttention: number }> {
    const now = Date.now();
    const stuckSince = new Date(now - 60_000);
    const stuck = await this.orders.withStatusOlderThan(this.prisma, 'placing', stuckSince);
    for (const order of stuck) {
      if (now - order.createdAt.getTime() > this.config.placementAttentionAfterMs) {
        await this.markNeedsAttention(order.id, order.cartId, 'Klarna has not confirmed the outcome in time');
      } else {
        this.logger.warn({ event: 'order.stuck_placing', orderId: order.id, cartId: order.cartId });
      }
      await this.scheduleCompletion(order.id, 0);
    }
    for (const order of await this.orders.withStatusOlderThan(this.prisma, 'needs_attention', new Date(now))) {
      await this.scheduleCompletion(order.id, 0);
    }
    return {
      stuck: await this.orders.countByStatus(this.prisma, 'placing', stuckSince),
      needingAttention: await this.orders.countByStatus(this.prisma, 'needs_attention'),
    };
  }

  /** GET /ops/attention: orders ops must resolve, and Klarna orders we could not match. */
  async attentionList(): Promise<{ orders: (OrderView & { attentionReason: string | null })[]; unmatched: object[] }> {
    const orders = await this.orders.needingAttention(this.prisma);
    const unmatched = await this.orders.unresolvedUnmatched(this.prisma);
    return {
      orders: orders.map((order) => ({ ...orderView(order), attentionReason: order.attentionReason })),
      unmatched: unmatched.map((row) => ({
        klarnaOrderId: row.klarnaOrderId,
        cartId: row.cartId,
        merchantReference1: row.merchantReference1,
        reason: row.reason,
        correlationId: row.correlationId,
        firstSeenAt: row.firstSeenAt.toISOString(),
        lastSeenAt: row.lastSeenAt.toISOString(),
      })),
    };
  }

  /**
   * POST /orders/:id/resolve (ops): an open placement is settled by the Klarna order id ops found (read from
   * Order Management and matched on merchant_reference1), or declared to have no Klarna order (the token is
   * released and the cart opens again).
   */
  async resolvePlacement(
    orderId: string,
    resolution: { klarnaOrderId?: string; noKlarnaOrder?: boolean },
  ): Promise<OrderView> {
    const order = await this.orders.findById(this.prisma, orderId);
    if (!order) throw new NotFoundError('ORDER_NOT_FOUND', `Order ${orderId} does not exist`);
    if (!isUnresolved(order.status)) {
      throw new ConflictError('ORDER_NOT_MODIFIABLE', `Order ${orderId} is ${order.status}, not awaiting an outcome`);
    }
    if (resolution.klarnaOrderId) {
      let klarnaOrder: KlarnaManagedOrder;
      try {
        klarnaOrder = await this.klarna.getOrder(resolution.klarnaOrderId);
      } catch (error) {
        if (error instanceof KlarnaApiError && error.isNotFound) {
          throw new ConflictError('KLARNA_ORDER_MISMATCH', 'Klarna has no such order', error.correlationId);
        }
        throw asUnavailable(error);
      }
      if (!isSameOrder(order, klarnaOrder, this.klarna.ordersNameMerchantReference)) {
        throw new ConflictError(
          'KLARNA_ORDER_MISMATCH',
          `Klarna order ${klarnaOrder.orderId} belongs to merchant reference ${klarnaOrder.merchantReference1 ?? 'none'}, not ${order.id}`,
        );
      }
      await this.prisma.$transaction(async (tx) => {
        await this.finishPlacement(tx, order, klarnaOrder);
        await this.applyManagedState(tx, order, klarnaOrder);
        await this.orders.resolveUnmatched(tx, klarnaOrder.orderId);
      }, this.transactionOptions);
      this.logger.warn({ event: 'order.resolved', orderId, cartId: order.cartId, klarnaOrderId: klarnaOrder.orderId });
    } else {
      await this.refusePlacement(
        order,
        { failureStatus: 0, failureCode: 'RESOLVED_NO_KLARNA_ORDER', correlationId: null },
        'cancelled',
      );
      this.logger.warn({ event: 'order.resolved', orderId, cartId: order.cartId, klarnaOrderId: null });
    }
    return this.getOrder(orderId);
  }

  private async place(
    cartId: string,
    request: { token: string; source: 'storefront' | 'callback'; finalize: boolean },
  ): Promise<PlacementOutcome> {
    const phase1 = await this.carts.inCheckout(cartId, (db) => this.beginPlacement(db, cartId, request));
    switch (phase1.kind) {
      case 'existing':
        return { kind: 'placed', created: false, answer: await this.answerFor(phase1.order) };
      case 'already_ordered':
        await this.releaseNow(phase1.authorization);
        if (phase1.source === 'callback') return { kind: 'skipped', reason: 'cart_ordered' };
        throw new ConflictError('ALREADY_ORDERED', 'This cart is already ordered; the new authorization was released');
      case 'authorized':
        await this.klarnaSessions.scheduleRelease(cartId);
        return { kind: 'authorized' };
      case 'skipped':
        this.logger.log({ event: 'order.callback_skipped', cartId, reason: phase1.reason });
        return { kind: 'skipped', reason: phase1.reason };
      case 'refused':
        // A re-priced cart staled the authorization: Klarna should release it.
        if (phase1.error instanceof CartChangedError) await this.klarnaSessions.scheduleRelease(cartId);
        throw phase1.error;
      case 'place': {
        // A new authorization supersedes older ones: release them (after commit).
        if (phase1.unreleasedAuthorizations) await this.klarnaSessions.scheduleRelease(cartId);
        let outcome: AttemptOutcome;
        try {
          outcome = await this.attemptPlacement(
            phase1.order,
            phase1.authorization,
            phase1.orderData,
            IN_REQUEST_RETRIES,
          );
        } catch (error) {
          // Whatever went wrong here (a database failure after Klarna's answer included), the job completes it.
          await this.scheduleCompletion(phase1.order.id, 1).catch(() => undefined);
          if (error instanceof DomainError) throw error;
          throw new ServiceUnavailableError(
            'SERVICE_UNAVAILABLE',
            `Order ${phase1.order.id} could not be recorded; it is being completed, ask again shortly`,
            2,
          );
        }
        if (outcome.kind === 'placed') return { kind: 'placed', created: true, answer: placementAnswer(outcome.order) };
        if (outcome.kind === 'refused') throw outcome.error;
        await this.scheduleCompletion(phase1.order.id, 1);
        throw new KlarnaUnavailableError(
          `Klarna did not confirm order ${phase1.order.id} (${outcome.reason}); it is being completed, ask again shortly`,
          outcome.correlationId,
        );
      }
    }
  }

  /**
   * Phase 1, in one transaction under the cart's lock: decide, and write the `placing` row. Plain SQL on the
   * transaction's connection (no Prisma): the checkout's hot path (issue 14).
   */
  private async beginPlacement(
    tx: Db,
    cartId: string,
    request: { token: string; source: 'storefront' | 'callback'; finalize: boolean },
  ): Promise<Phase1> {
    const locked = await this.carts.readLockedCheckout(tx, cartId);
    const { cart } = locked;
    // The statement that writes a live order moves its cart to `placing`, and a cart leaves `placing` for `checkout`
    // only with its order failed: an open or checkout cart has no live order to look for (and the partial unique
    // index order_cart_id_live_key refuses a second one whatever the code believes).
    const existing =
      cart.status === 'open' || cart.status === 'checkout' ? null : await this.orders.findLiveByCart(tx, cartId);
    // The callback's job looks its authorization up first; the storefront's may be new.
    let known: KlarnaAuthorization | undefined;
    if (request.source === 'callback') {
      const found = await this.klarnaSessions.findAuthorization(tx, request.token);
      if (!found) return { kind: 'skipped', reason: 'authorization_unknown' };
      known = found;
      if (existing) {
        return existing.authorizationId === known.id
          ? { kind: 'skipped', reason: 'already_placed' }
          : { kind: 'already_ordered', authorization: known, source: 'callback' };
      }
      if (known.status !== 'active') return { kind: 'skipped', reason: `authorization_${known.status}` };
      if (known.heldForReview) return { kind: 'skipped', reason: 'held_for_review' };
      // A session opened only to tokenize is for a customer token, not an order.
      if ((await this.klarnaSessions.sessionOf(tx, known))?.intent === 'tokenize') {
        return { kind: 'skipped', reason: 'tokenize_only' };
      }
    }
    // Nothing in this transaction writes the session: the one read under the lock is still the live one.
    const lockedSession = locked.read.session;
    const authorization = await this.klarnaSessions.recordAuthorization(
      tx,
      cartId,
      request.token,
      request.source,
      !request.finalize,
      { session: lockedSession, authorization: known },
    );
    if (existing) {
      return existing.authorizationId === authorization.id
        ? { kind: 'existing', order: existing }
        : { kind: 'already_ordered', authorization, source: request.source };
    }
    if (!request.finalize) return { kind: 'authorized' };
    const blocker = await this.klarnaSessions.placementBlocker(tx, cart, authorization, lockedSession);
    if (blocker === 'expired') {
      return {
        kind: 'refused',
        error: new UnprocessableError('AUTHORIZATION_INVALID', 'The authorization has expired'),
      };
    }
    if (blocker) {
      return {
        kind: 'refused',
        error: new ConflictError('REAUTHORIZATION_REQUIRED', `The cart changed after the authorization (${blocker})`),
      };
    }
    // An order is never placed at a price the catalog no longer holds: a moved price is written (and pushed to
    // Klarna) with this transaction, and the shopper reauthorizes.
    // Nothing written above touches what the cart is priced from, so the locked read still holds.
    const repriced = await this.carts.repriceForCheckout(tx, locked);
    if (repriced.changes.length > 0) {
      this.logger.log({ event: 'order.cart_changed', cartId, changes: repriced.changes.length });
      return { kind: 'refused', error: new CartChangedError(repriced.changes) };
    }
    const { orderData } = repriced.sessionCart;
    if (
      this.config.shippingRequired &&
      repriced.cart.shippingMethodId === null &&
      orderData.orderLines.some((line) => line.type === 'physical')
    ) {
      return {
        kind: 'refused',
        error: new ConflictError('SHIPPING_REQUIRED', 'The cart has physical items: choose a shipping method first'),
      };
    }
    // The code's use is taken here, with the order row: the row lock of that UPDATE decides a race for the last
    // use, and a placement that lost it re-prices the cart without the code (the shopper reauthorizes).
    const { discountCode } = repriced.cart;
    if (discountCode !== null && !(await this.discounts.takeUse(tx, discountCode))) {
      const changes = await this.carts.dropDiscountCode(tx, cartId);
      this.logger.log({ event: 'order.discount_exhausted', cartId });
      return { kind: 'refused', error: new CartChangedError(changes) };
    }
    const orderId = randomUUID();
    const { order, unreleasedAuthorizations } = await this.orders.createPlacing(tx, {
      id: orderId,
      cartId,
      authorizationId: authorization.id,
      orderAmount: orderData.orderAmount,
      orderTaxAmount: orderData.orderTaxAmount,
      purchaseCountry: orderData.purchaseCountry,
      purchaseCurrency: orderData.purchaseCurrency,
      orderLines: orderData.orderLines,
      autoCapture: autoCaptureFor(this.config.klarna.autoCapture, orderData.orderLines),
    });
    if (discountCode !== null) {
      await this.discounts.recordRedemption(tx, {
        code: discountCode,
        orderId,
        cartId,
        amount: -orderData.orderLines
          .filter((line) => line.type === 'discount')
          .reduce((sum, line) => sum + line.totalAmount, 0),
        currency: orderData.purchaseCurrency,
      });
    }
    this.logger.log({ event: 'order.placing', orderId, cartId, source: request.source });
    return { kind: 'place', order, authorization, orderData, unreleasedAuthorizations };
  }

  /**
   * Create order with our order id as Klarna-Idempotency-Key, retried while the failure is transient; the
   * outcome is recorded before this returns. An `unknown` outcome is the caller's to retry (request: it queues
   * the job; the job: it throws, and pg-boss retries it with backoff).
   */
  private async attemptPlacement(
    order: OrderRecord,
    authorization: KlarnaAuthorization,
    orderData: KlarnaOrderData,
    retries: { attempts: number; backoffMs: number },
  ): Promise<AttemptOutcome> {
    const { cartId } = order;
    const request = {
      ...orderData,
      merchantReference1: order.id,
      // Stored with the placing row, so every retry under the same idempotency key sends the same request.
      ...(order.autoCapture ? { autoCapture: true } : {}),
      merchantUrls: {
        push: webhookUrl(this.config.publicBaseUrl, this.config.webhookSecret, 'push', cartId, '&order_id={order.id}'),
        notification: webhookUrl(this.config.publicBaseUrl, this.config.webhookSecret, 'notification', cartId),
      },
    };
    let placed: PlacedKlarnaOrder;
    try {
      placed = await withKlarnaRetries(
        () => this.klarna.placeOrder(authorization.authorizationToken, request, order.id),
        retries,
        (error) => this.orders.countFailedAttempt(this.prisma, order.id, error.outcomeUnknown),
      );
    } catch (error) {
      if (!(error instanceof KlarnaApiError)) throw error;
      this.logger.warn({ event: 'order.placement_failed', orderId: order.id, cartId, ...error.toLog() });
      if (error.isTransient) {
        return { kind: 'unknown', reason: `${error.errorCode} from Klarna`, correlationId: error.correlationId };
      }
      await this.orders.countFailedAttempt(this.prisma, order.id, false);
      const current = (await this.orders.findById(this.prisma, order.id)) ?? order;
      if (!isUnresolved(current.status)) return this.settled(current);
      if (current.placementOutcomeUnknown) return this.resolveBySession(current, authorization, error);
      return this.refused(current, error);
    }
    return { kind: 'placed', order: await this.recordPlaced(order, placed) };
  }

  /**
   * Klarna made the order: record it. When that write fails, Klarna's order id is logged and kept for ops, and the
   * caller's retry (create order again with the same key) gets the same order and writes it again.
   */
  private async recordPlaced(order: OrderRecord, placed: PlacedKlarnaOrder): Promise<OrderRecord> {
    try {
      // One statement, atomic on its own: no transaction around it. When it wrote, the answer comes from what it
      // wrote; when someone (push, job) completed the placement first, their row is read.
      if (await this.finishPlacement(this.prisma.pool, order, placed)) {
        return {
          ...order,
          status: 'placed',
          klarnaOrderId: placed.orderId,
          fraudStatus: placed.fraudStatus,
          redirectUrl: placed.redirectUrl ?? null,
          lastCorrelationId: placed.correlationId ?? null,
          attentionReason: null,
        };
      }
      return (await this.orders.findById(this.prisma, order.id)) ?? order;
    } catch (error) {
      this.logger.error({
        event: 'order.unmatched',
        orderId: order.id,
        cartId: order.cartId,
        klarnaOrderId: placed.orderId,
        correlationId: placed.correlationId,
        reason: 'follow_up_write_failed',
        err: error,
      });
      this.metrics.unmatchedKlarnaOrders.inc({ reason: 'follow_up_write_failed' });
      await this.orders
        .recordUnmatched(this.prisma, {
          klarnaOrderId: placed.orderId,
          cartId: order.cartId,
          merchantReference1: order.id,
          reason: 'follow_up_write_failed',
          correlationId: placed.correlationId ?? null,
        })
        .catch(() => undefined);
      throw error;
    }
  }

  /**
   * A refusal after an earlier attempt whose outcome was unknown: the authorization's own session says whether
   * Klarna made an order from it (`complete`; its push carries the order id) or not.
   */
  private async resolveBySession(
    order: OrderRecord,
    authorization: KlarnaAuthorization,
    refusal: KlarnaApiError,
  ): Promise<AttemptOutcome> {
    const session = await this.klarnaSessions.sessionOf(this.prisma, authorization);
    try {
      const held = session ? await this.klarnaSessions.readKlarnaSession(session.sessionId) : null;
      if (held?.status === 'complete') {
        this.logger.warn({ event: 'order.awaiting_push', orderId: order.id, cartId: order.cartId });
        return {
          kind: 'unknown',
          reason: 'Klarna created an order; waiting for its push',
          correlationId: refusal.correlationId,
        };
      }
      if (held) return this.refused(order, refusal);
    } catch (error) {
      if (!(error instanceof KlarnaApiError) || !error.isNotFound) {
        return { kind: 'unknown', reason: 'the session could not be read', correlationId: refusal.correlationId };
      }
    }
    // The session is gone (48 h): nothing tells whether Klarna made the order. Ops decide.
    await this.markNeedsAttention(order.id, order.cartId, 'Klarna refused a retry and the session is gone');
    return { kind: 'unknown', reason: 'the outcome needs attention', correlationId: refusal.correlationId };
  }

  /** Klarna definitely refused: `failed`, the cart opens again, the token is released. */
  private async refused(order: OrderRecord, error: KlarnaApiError): Promise<AttemptOutcome> {
    const failure = {
      failureStatus: error.status ?? 0,
      failureCode: error.errorCode,
      correlationId: error.correlationId ?? null,
    };
    const authorizationStatus = error.status === 409 ? 'stale' : error.isNotFound ? 'expired' : 'cancelled';
    await this.refusePlacement(order, failure, authorizationStatus);
    return { kind: 'refused', error: failureError(failure) };
  }

  private async refusePlacement(
    order: OrderRecord,
    failure: { failureStatus: number; failureCode: string; correlationId: string | null },
    authorizationStatus: 'stale' | 'expired' | 'cancelled',
  ): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      if (!(await this.orders.failPlacement(tx, order.id, failure))) return;
      // Klarna made no order: the discount code's use goes back (a cancelled order keeps it; README).
      await this.discounts.releaseForFailedOrder(tx, order.id);
      await this.carts.endFailedPlacement(tx, order.cartId);
      if (order.authorizationId) {
        await this.klarnaSessions.setAuthorizationStatus(tx, order.authorizationId, authorizationStatus);
      }
    }, this.transactionOptions);
    this.logger.warn({ event: 'order.failed', orderId: order.id, cartId: order.cartId, ...failure });
    await this.klarnaSessions.scheduleRelease(order.cartId);
  }

  /** Another caller settled the placement meanwhile: answer with what it came to. */
  private settled(order: OrderRecord): AttemptOutcome {
    if (order.status === 'failed') return { kind: 'refused', error: failureError(failureOf(order)) };
    return { kind: 'placed', order };
  }

  /** True when this call completed the placement (false: it was already resolved). */
  private async finishPlacement(
    db: Db,
    order: OrderRecord,
    placed: { orderId: string; fraudStatus: string; redirectUrl?: string | null; correlationId?: string },
  ): Promise<boolean> {
    // The cart, its authorization and session settle in the same statement.
    const completed = await this.orders.completePlacement(db, order.id, {
      klarnaOrderId: placed.orderId,
      fraudStatus: placed.fraudStatus,
      redirectUrl: placed.redirectUrl ?? null,
      correlationId: placed.correlationId ?? null,
    });
    if (completed) {
      this.logger.log({
        event: 'order.placed',
        orderId: order.id,
        cartId: order.cartId,
        klarnaOrderId: placed.orderId,
      });
    }
    return completed;
  }

  private async markNeedsAttention(orderId: string, cartId: string, reason: string): Promise<void> {
    if (!(await this.orders.markNeedsAttention(this.prisma, orderId, reason))) return;
    this.metrics.ordersNeedingAttentionTotal.inc();
    this.logger.error({ event: 'order.needs_attention', orderId, cartId, reason });
  }

  private async recordUnmatched(
    tx: Db,
    klarnaOrder: KlarnaManagedOrder,
    cartId: string,
    reason: string,
  ): Promise<void> {
    this.metrics.unmatchedKlarnaOrders.inc({ reason });
    this.logger.error({
      event: 'order.unmatched',
      klarnaOrderId: klarnaOrder.orderId,
      cartId,
      merchantReference1: klarnaOrder.merchantReference1,
      reason,
    });
    await this.orders.recordUnmatched(tx, {
      klarnaOrderId: klarnaOrder.orderId,
      cartId,
      merchantReference1: klarnaOrder.merchantReference1 ?? null,
      reason,
      correlationId: null,
    });
  }

  /** A repeat of a placement: waits for the first caller's outcome, then answers with it. */
  private async answerFor(order: OrderRecord): Promise<PlacementAnswer> {
    const deadline = Date.now() + this.config.klarna.timeoutMs * (IN_REQUEST_RETRIES.attempts + 1) + 2000;
    let current = order;
    while (isUnresolved(current.status) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = (await this.orders.findById(this.prisma, order.id)) ?? current;
    }
    if (current.status === 'failed') throw failureError(failureOf(current));
    if (isUnresolved(current.status)) {
      throw new KlarnaUnavailableError(`Order ${order.id} is still being confirmed by Klarna; ask again shortly`);
    }
    return placementAnswer(current);
  }

  /** A token for a cart that is already ordered is released at once, so the shopper's credit is freed. */
  private async releaseNow(authorization: KlarnaAuthorization): Promise<void> {
    await this.klarnaSessions.setAuthorizationStatus(this.prisma, authorization.id, 'cancelled');
    try {
      await this.klarnaSessions.release(this.prisma, authorization);
    } catch {
      await this.klarnaSessions.scheduleRelease(authorization.cartId);
    }
  }

  private async scheduleCompletion(orderId: string, delaySeconds: number): Promise<void> {
    await this.jobs.send(
      COMPLETE_PLACEMENT_JOB,
      { orderId },
      {
        singletonKey: orderId,
        startAfter: new Date(Date.now() + delaySeconds * 1000),
        retryLimit: 500,
        retryDelay: 1,
        retryBackoff: true,
        retryDelayMax: Math.ceil(this.config.klarna.retryMaxDelayMs / 1000),
      },
    );
  }
}

interface PlacementFailure {
  failureStatus: number;
  failureCode: string;
  correlationId: string | null;
}

function failureOf(order: OrderRecord): PlacementFailure {
  return {
    failureStatus: order.failureStatus ?? 0,
    failureCode: order.failureCode ?? 'UNKNOWN',
    correlationId: order.lastCorrelationId,
  };
}

/** Klarna's definite refusal of create order, as the storefront must read it (also for a repeat caller). */
function failureError({ failureStatus, failureCode, correlationId }: PlacementFailure): DomainError {
  const id = correlationId ?? undefined;
  if (failureStatus === 409) {
    // KP-SPEC createOrder 409: the order differs from what was authorized; the widget must reauthorize.
    return new ConflictError('REAUTHORIZATION_REQUIRED', 'Klarna: the order does not match what was authorized', id);
  }
  if (failureStatus === 404) {
    return new UnprocessableError(
      'AUTHORIZATION_INVALID',
      'Klarna does not know this authorization (unknown, used or expired)',
      id,
    );
  }
  return new UnprocessableError('KLARNA_REJECTED', `Klarna refused the order: ${failureCode}`, id);
}

function asUnavailable(error: unknown): unknown {
  if (!(error instanceof KlarnaApiError)) return error;
  return new KlarnaUnavailableError('Klarna is not answering; try again shortly', error.correlationId);
}

function placementAnswer(order: OrderRecord): PlacementAnswer {
  return {
    orderId: order.id,
    klarnaOrderId: order.klarnaOrderId,
    status: order.status,
    fraudStatus: order.fraudStatus,
    redirectUrl: order.redirectUrl,
  };
}

export function orderView(order: OrderRecord): OrderView {
  return { ...receiptView(order), cartId: order.cartId };
}

function receiptView(order: OrderRecord): ReceiptView {
  return {
    ...placementAnswer(order),
    orderAmount: order.orderAmount,
    orderTaxAmount: order.orderTaxAmount,
    capturedAmount: order.capturedAmount,
    refundedAmount: order.refundedAmount,
    remainingAuthorizedAmount: remainingAuthorized(order, new Date()),
    klarnaStatus: order.klarnaStatus,
    expiresAt: order.expiresAt?.toISOString() ?? null,
    purchaseCurrency: order.purchaseCurrency,
    orderLines: order.orderLines,
    createdAt: order.createdAt.toISOString(),
  };
}

/**
 * Whether the order ops found is this placement's: by our merchant reference, or, where the gateway's order read
 * cannot name it (CyberSource), by amount and currency (ops found it in the Business Center by our order id, sent as
 * merchantReferenceCode).
 */
function isSameOrder(order: OrderRecord, klarnaOrder: KlarnaManagedOrder, namesReference: boolean): boolean {
  if (namesReference || klarnaOrder.merchantReference1 !== undefined)
    return klarnaOrder.merchantReference1 === order.id;
  return klarnaOrder.orderAmount === order.orderAmount && klarnaOrder.purchaseCurrency === order.purchaseCurrency;
}
