import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { CartService } from '../cart/cart.service.js';
import { AppConfig } from '../config/app-config.js';
import {
  ConflictError,
  KlarnaUnavailableError,
  NotFoundError,
  UnprocessableError,
  type DomainError,
} from '../common/errors.js';
import { webhookUrl } from '../common/url-signature.js';
import { PrismaService, transactionOptionsFor, type PrismaTransaction } from '../database/prisma.service.js';
import type { KlarnaAuthorization } from '../generated/prisma/client.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { KlarnaApiError } from '../klarna/klarna-api.error.js';
import { KlarnaGateway } from '../klarna/klarna-gateway.js';
import type { KlarnaManagedOrder, KlarnaOrderData } from '../klarna/klarna.types.js';
import { KlarnaSessionService } from '../klarna-session/klarna-session.service.js';
import { advanceStatus, statusFromKlarna } from './order-state.js';
import { OrderRepository } from './order.repository.js';
import type { OrderRecord, OrderView, PlacementAnswer } from './order.types.js';

export const PLACE_FROM_CALLBACK_JOB = 'order.place-from-callback';
export const RECONCILE_ORDER_JOB = 'order.reconcile';

type Phase1 =
  | { kind: 'existing'; order: OrderRecord }
  | { kind: 'already_ordered'; authorization: KlarnaAuthorization; source: 'storefront' | 'callback' }
  | { kind: 'authorized' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'place'; order: OrderRecord; token: string; orderData: KlarnaOrderData; cartId: string }
  | { kind: 'refused'; error: DomainError };

export type PlacementOutcome =
  | { kind: 'placed'; created: boolean; answer: PlacementAnswer }
  | { kind: 'authorized' }
  | { kind: 'skipped'; reason: string };

/**
 * Turns an authorization into exactly one Klarna order per cart. The cart's row lock serialises the
 * storefront's call, Klarna's authorization callback and double clicks; the order row (`placing`) is
 * committed before Klarna is called so a crash in between is completed by Klarna's push or by
 * reconciliation, never by a blind retry of a token that may already be spent.
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
    private readonly klarna: KlarnaGateway,
    private readonly jobs: JobQueueService,
    private readonly config: AppConfig,
  ) {
    this.transactionOptions = transactionOptionsFor(config);
  }

  /** POST /carts/:id/klarna-session/authorizations. */
  async authorize(cartId: string, authorizationToken: string, finalize: boolean): Promise<PlacementOutcome> {
    return this.place(cartId, { token: authorizationToken, source: 'storefront', finalize });
  }

  /** POST /carts/:id/order: the order review page confirms the held authorization. */
  async placeReviewedOrder(cartId: string): Promise<PlacementOutcome> {
    const authorization = await this.klarnaSessions.latestActiveAuthorization(this.prisma, cartId);
    if (!authorization) {
      const existing = await this.orders.findByCart(this.prisma, cartId);
      if (existing) return { kind: 'placed', created: false, answer: placementAnswer(existing) };
      await this.carts.getCart(cartId);
      throw new ConflictError('REAUTHORIZATION_REQUIRED', 'No live authorization: reauthorize with Klarna first');
    }
    return this.place(cartId, { token: authorization.authorizationToken, source: 'storefront', finalize: true });
  }

  /** Klarna's authorization callback, after the grace period: places the order unless someone else should. */
  async placeFromCallback(cartId: string, authorizationToken: string): Promise<PlacementOutcome> {
    return this.place(cartId, { token: authorizationToken, source: 'callback', finalize: true });
  }

  /** Records a callback's authorization now and schedules its placement after the grace period. */
  async acceptAuthorizationCallback(cartId: string, sessionId: string, authorizationToken: string): Promise<boolean> {
    const accepted = await this.prisma.$transaction(async (tx) => {
      await this.carts.lockForCheckout(tx, cartId);
      if ((await this.klarnaSessions.sessionIdOf(tx, cartId)) !== sessionId) return false;
      // Also for an ordered cart: the placement job then releases this second authorization at Klarna.
      await this.klarnaSessions.recordAuthorization(tx, cartId, authorizationToken, 'callback', false);
      return true;
    }, this.transactionOptions);
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

  async getOrder(orderId: string): Promise<OrderView> {
    const order = await this.orders.findById(this.prisma, orderId);
    if (!order) throw new NotFoundError('ORDER_NOT_FOUND', `Order ${orderId} does not exist`);
    return orderView(order);
  }

  /**
   * Klarna's push or notification for one of our orders: never trusts the request; reads the order from
   * Order Management and moves ours forward. Returns false when the Klarna order is not the cart's.
   */
  async applyKlarnaOrder(cartId: string, klarnaOrderId: string): Promise<boolean> {
    let klarnaOrder: KlarnaManagedOrder;
    try {
      klarnaOrder = await this.klarna.getOrder(klarnaOrderId);
    } catch (error) {
      if (error instanceof KlarnaApiError && error.isNotFound) return false;
      if (error instanceof KlarnaApiError && error.isTransient) {
        // A 503 makes Klarna deliver the callback again later.
        throw new KlarnaUnavailableError('Klarna Order Management is not answering', error.correlationId);
      }
      throw error;
    }
    return this.prisma.$transaction(async (tx) => {
      const order = await this.orders.findByCart(tx, cartId);
      if (!order || klarnaOrder.merchantReference1 !== order.id) return false;
      if (order.status === 'placing') await this.finishPlacement(tx, order, klarnaOrder);
      await this.applyManagedState(tx, order, klarnaOrder);
      return true;
    }, this.transactionOptions);
  }

  /** Moves our order to what Order Management says, forward only. */
  async applyManagedState(tx: PrismaTransaction, order: OrderRecord, klarnaOrder: KlarnaManagedOrder): Promise<void> {
    const next = advanceStatus(order.status === 'placing' ? 'placed' : order.status, statusFromKlarna(klarnaOrder));
    await this.orders.updateState(tx, order.id, {
      status: next,
      fraudStatus: klarnaOrder.fraudStatus,
      capturedAmount: klarnaOrder.capturedAmount,
    });
    if (next !== order.status) {
      this.logger.log({
        event: `order.${next}`,
        orderId: order.id,
        cartId: order.cartId,
        klarnaOrderId: klarnaOrder.orderId,
      });
    }
  }

  /**
   * An order left `placing` (Klarna's answer was lost): the session tells whether Klarna created an order.
   * Completed: wait for Klarna's push (it carries the order id). Not completed: Klarna has no order, so the
   * token was not spent and placing again is safe.
   */
  async reconcile(orderId: string): Promise<void> {
    const order = await this.orders.findById(this.prisma, orderId);
    if (!order || order.status !== 'placing') return;
    if (order.klarnaOrderId) {
      await this.applyKlarnaOrder(order.cartId, order.klarnaOrderId);
      return;
    }
    const authorization = order.authorizationId
      ? await this.klarnaSessions.findAuthorizationById(this.prisma, order.authorizationId)
      : null;
    const sessionStatus = await this.klarnaSessionStatus(order.cartId);
    if (sessionStatus === 'complete') {
      this.logger.warn({ event: 'order.awaiting_push', orderId, cartId: order.cartId });
      throw new Error(`Order ${orderId}: Klarna created it; waiting for Klarna's push`);
    }
    if (!authorization || sessionStatus === 'gone') {
      await this.prisma.$transaction((tx) => this.abandonPlacement(tx, order, authorization, 'expired'));
      return;
    }
    this.logger.log({ event: 'order.placement_retried', orderId, cartId: order.cartId });
    const { sessionCart } = await this.prisma.$transaction((tx) => this.carts.lockForCheckout(tx, order.cartId));
    await this.callKlarna({
      kind: 'place',
      order,
      token: authorization.authorizationToken,
      orderData: sessionCart.orderData,
      cartId: order.cartId,
    });
  }

  /** Whether Klarna created an order from the cart's session (`complete`), or the session is gone. */
  private async klarnaSessionStatus(cartId: string): Promise<'complete' | 'incomplete' | 'gone'> {
    const sessionId = await this.klarnaSessions.sessionIdOf(this.prisma, cartId);
    if (!sessionId) return 'gone';
    try {
      return (await this.klarna.readSession(sessionId)).status === 'complete' ? 'complete' : 'incomplete';
    } catch (error) {
      if (error instanceof KlarnaApiError && error.isNotFound) return 'gone';
      throw error;
    }
  }

  /** Orders stuck in `placing` longer than a minute: reported and handed to reconciliation. */
  async sweepStuckPlacements(): Promise<number> {
    const stuck = await this.orders.placingOlderThan(this.prisma, new Date(Date.now() - 60_000));
    for (const order of stuck) {
      this.logger.warn({ event: 'order.stuck_placing', orderId: order.id, cartId: order.cartId });
      await this.scheduleReconciliation(order.id, 0);
    }
    return stuck.length;
  }

  private async place(
    cartId: string,
    request: { token: string; source: 'storefront' | 'callback'; finalize: boolean },
  ): Promise<PlacementOutcome> {
    const phase1 = await this.prisma.$transaction(
      (tx) => this.beginPlacement(tx, cartId, request),
      this.transactionOptions,
    );
    switch (phase1.kind) {
      case 'existing':
        return { kind: 'placed', created: false, answer: placementAnswer(await this.awaitPlacement(phase1.order)) };
      case 'already_ordered':
        await this.releaseAuthorization(phase1.authorization);
        if (phase1.source === 'callback') return { kind: 'skipped', reason: 'cart_ordered' };
        throw new ConflictError('ALREADY_ORDERED', 'This cart is already ordered; the new authorization was released');
      case 'authorized':
        return { kind: 'authorized' };
      case 'skipped':
        this.logger.log({ event: 'order.callback_skipped', cartId, reason: phase1.reason });
        return { kind: 'skipped', reason: phase1.reason };
      case 'refused':
        throw phase1.error;
      case 'place':
        return { kind: 'placed', created: true, answer: placementAnswer(await this.callKlarna(phase1)) };
    }
  }

  /** Phase 1, in one transaction under the cart's lock: decide, and write the `placing` row. */
  private async beginPlacement(
    tx: PrismaTransaction,
    cartId: string,
    request: { token: string; source: 'storefront' | 'callback'; finalize: boolean },
  ): Promise<Phase1> {
    const { cart, sessionCart } = await this.carts.lockForCheckout(tx, cartId);
    const existing = await this.orders.findByCart(tx, cartId);
    if (request.source === 'callback') {
      const known = await this.klarnaSessions.findAuthorization(tx, request.token);
      if (!known) return { kind: 'skipped', reason: 'authorization_unknown' };
      if (existing) {
        return existing.authorizationId === known.id
          ? { kind: 'skipped', reason: 'already_placed' }
          : { kind: 'already_ordered', authorization: known, source: 'callback' };
      }
      if (known.status !== 'active') return { kind: 'skipped', reason: `authorization_${known.status}` };
      if (known.heldForReview) return { kind: 'skipped', reason: 'held_for_review' };
    }
    const authorization = await this.klarnaSessions.recordAuthorization(
      tx,
      cartId,
      request.token,
      request.source,
      !request.finalize,
    );
    if (existing) {
      return existing.authorizationId === authorization.id
        ? { kind: 'existing', order: existing }
        : { kind: 'already_ordered', authorization, source: request.source };
    }
    if (!request.finalize) return { kind: 'authorized' };
    const blocker = await this.klarnaSessions.placementBlocker(tx, cart, authorization);
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
    const orderId = randomUUID();
    const order = await this.orders.createPlacing(tx, {
      id: orderId,
      cartId,
      authorizationId: authorization.id,
      orderAmount: sessionCart.orderData.orderAmount,
      orderTaxAmount: sessionCart.orderData.orderTaxAmount,
      purchaseCountry: sessionCart.orderData.purchaseCountry,
      purchaseCurrency: sessionCart.orderData.purchaseCurrency,
      orderLines: sessionCart.orderData.orderLines,
    });
    this.logger.log({ event: 'order.placing', orderId, cartId, source: request.source });
    return { kind: 'place', order, token: request.token, orderData: sessionCart.orderData, cartId };
  }

  /** Phase 2: Klarna's create order, then the outcome recorded. */
  private async callKlarna(placement: Extract<Phase1, { kind: 'place' }>): Promise<OrderRecord> {
    const { order, cartId } = placement;
    try {
      const placed = await this.klarna.placeOrder(placement.token, {
        ...placement.orderData,
        merchantReference1: order.id,
        merchantUrls: {
          push: webhookUrl(
            this.config.publicBaseUrl,
            this.config.webhookSecret,
            'push',
            cartId,
            '&order_id={order.id}',
          ),
          notification: webhookUrl(this.config.publicBaseUrl, this.config.webhookSecret, 'notification', cartId),
        },
      });
      return await this.prisma.$transaction(async (tx) => {
        await this.finishPlacement(tx, order, {
          orderId: placed.orderId,
          fraudStatus: placed.fraudStatus,
          redirectUrl: placed.redirectUrl,
          correlationId: placed.correlationId,
        });
        return (await this.orders.findById(tx, order.id)) ?? order;
      }, this.transactionOptions);
    } catch (error) {
      if (!(error instanceof KlarnaApiError)) throw error;
      this.logger.warn({ event: 'order.placement_failed', orderId: order.id, cartId, ...error.toLog() });
      if (error.outcomeUnknown) {
        await this.scheduleReconciliation(order.id, 2);
        throw new KlarnaUnavailableError(
          `Klarna did not confirm order ${order.id}; it is being reconciled, ask again shortly`,
          error.correlationId,
        );
      }
      const authorization = order.authorizationId
        ? await this.klarnaSessions.findAuthorizationById(this.prisma, order.authorizationId)
        : null;
      if (error.status === 409) {
        await this.prisma.$transaction((tx) => this.abandonPlacement(tx, order, authorization, 'stale'));
        throw new ConflictError(
          'REAUTHORIZATION_REQUIRED',
          'Klarna: the order does not match what was authorized',
          error.correlationId,
        );
      }
      await this.prisma.$transaction((tx) =>
        this.abandonPlacement(tx, order, authorization, error.isNotFound ? 'expired' : 'cancelled'),
      );
      throw error.isNotFound
        ? new UnprocessableError(
            'AUTHORIZATION_INVALID',
            'Klarna does not know this authorization (unknown, used or expired)',
            error.correlationId,
          )
        : new UnprocessableError(
            'KLARNA_REJECTED',
            `Klarna refused the order: ${error.errorCode}`,
            error.correlationId,
          );
    }
  }

  private async finishPlacement(
    tx: PrismaTransaction,
    order: OrderRecord,
    placed: { orderId: string; fraudStatus: string; redirectUrl?: string | null; correlationId?: string },
  ): Promise<void> {
    const completed = await this.orders.completePlacement(tx, order.id, {
      klarnaOrderId: placed.orderId,
      fraudStatus: placed.fraudStatus,
      redirectUrl: placed.redirectUrl ?? null,
      correlationId: placed.correlationId ?? null,
    });
    if (!completed) return;
    await this.carts.markOrdered(tx, order.cartId);
    if (order.authorizationId) await this.klarnaSessions.completeCheckout(tx, order.cartId, order.authorizationId);
    this.logger.log({ event: 'order.placed', orderId: order.id, cartId: order.cartId, klarnaOrderId: placed.orderId });
  }

  /** Klarna refused: nothing half-written stays behind. */
  private async abandonPlacement(
    tx: PrismaTransaction,
    order: OrderRecord,
    authorization: KlarnaAuthorization | null,
    authorizationStatus: 'stale' | 'expired' | 'cancelled',
  ): Promise<void> {
    await this.orders.deletePlacing(tx, order.id);
    if (authorization) await this.klarnaSessions.setAuthorizationStatus(tx, authorization.id, authorizationStatus);
  }

  /** A second caller for the same authorization waits for the first one's Klarna call to finish. */
  private async awaitPlacement(order: OrderRecord): Promise<OrderRecord> {
    const deadline = Date.now() + this.config.klarna.timeoutMs + 2000;
    let current: OrderRecord | null = order;
    while (current?.status === 'placing' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = await this.orders.findById(this.prisma, order.id);
    }
    if (!current) throw new UnprocessableError('AUTHORIZATION_INVALID', 'Klarna refused this authorization');
    return current;
  }

  /** A token for a cart that is already ordered is released at once, so the shopper's credit is freed. */
  private async releaseAuthorization(authorization: KlarnaAuthorization): Promise<void> {
    try {
      await this.klarna.cancelAuthorization(authorization.authorizationToken);
    } catch (error) {
      if (!(error instanceof KlarnaApiError) || !error.isNotFound) {
        this.logger.warn({
          event: 'authorization.release_failed',
          cartId: authorization.cartId,
          ...(error instanceof KlarnaApiError ? error.toLog() : {}),
        });
      }
    }
    await this.klarnaSessions.setAuthorizationStatus(this.prisma, authorization.id, 'cancelled');
    this.logger.log({ event: 'authorization.released', cartId: authorization.cartId });
  }

  private async scheduleReconciliation(orderId: string, delaySeconds: number): Promise<void> {
    await this.jobs.send(
      RECONCILE_ORDER_JOB,
      { orderId },
      {
        singletonKey: orderId,
        startAfter: new Date(Date.now() + delaySeconds * 1000),
        retryLimit: 10,
        retryDelay: 5,
        retryBackoff: true,
      },
    );
  }
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
  return {
    ...placementAnswer(order),
    cartId: order.cartId,
    orderAmount: order.orderAmount,
    orderTaxAmount: order.orderTaxAmount,
    capturedAmount: order.capturedAmount,
    purchaseCurrency: order.purchaseCurrency,
    orderLines: order.orderLines,
    createdAt: order.createdAt.toISOString(),
  };
}
