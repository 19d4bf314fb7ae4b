import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { PrismaService } from '../database/prisma.service.js';
import { KlarnaApiError } from '../klarna/klarna-api.error.js';
import { KlarnaGateway } from '../klarna/klarna-gateway.js';
import type { KlarnaManagedOrder } from '../klarna/klarna.types.js';
import { OrderEventsService } from '../events/order-events.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { driftBetween, klarnaStatusOf, remainingAuthorized } from './order-management-rules.js';
import { OrderManagementService } from './order-management.service.js';
import { OrderRepository } from './order.repository.js';
import { OrderService } from './order.service.js';
import type { DriftView, OrderRecord } from './order.types.js';

const DAY_MS = 86_400_000;
/** Orders whose authorization lapses within this many days with something left to capture are reported. */
const EXPIRY_WARNING_DAYS = 3;
/** Orders read per run (the oldest-reconciled first, so a backlog is worked through run by run). */
const ORDERS_PER_RUN = 500;

export interface ReconciliationResult {
  checked: number;
  drifted: number;
  failed: number;
  openOperations: number;
  expiringUncaptured: ExpiringOrder[];
}

export interface ExpiringOrder {
  orderId: string;
  klarnaOrderId: string | null;
  expiresAt: string;
  remainingAuthorizedAmount: number;
}

/**
 * Reads Order Management for every open order created or changed in the last RECONCILE_DAYS and corrects ours
 * forward (status, captured, refunded, expiry; captures and refunds made elsewhere are kept with Klarna's ids).
 * Every difference is drift: logged (`order.drift`), counted (`order_drift_total`) and kept for GET /ops/drift. A
 * difference backwards (Klarna showing less than we recorded) is kept but never applied: our money columns only
 * grow, and ops must find out why. Orders with an operation in flight are left for the next run.
 */
@Injectable()
export class ReconciliationService {
  private readonly logger = new Logger(ReconciliationService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly orders: OrderRepository,
    private readonly orderService: OrderService,
    private readonly management: OrderManagementService,
    private readonly klarna: KlarnaGateway,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
    private readonly events: OrderEventsService,
  ) {}

  async run(now = new Date()): Promise<ReconciliationResult> {
    const openOperations = await this.management.scheduleOpenOperations();
    const since = new Date(now.getTime() - this.config.reconcile.days * DAY_MS);
    const result: ReconciliationResult = { checked: 0, drifted: 0, failed: 0, openOperations, expiringUncaptured: [] };
    for (const order of await this.orders.toReconcile(this.prisma, since, ORDERS_PER_RUN)) {
      if (await this.orders.hasPendingOperation(this.prisma, order.id)) continue;
      let klarnaOrder: KlarnaManagedOrder;
      try {
        klarnaOrder = await this.klarna.getOrder(order.klarnaOrderId!);
      } catch (error) {
        result.failed++;
        this.logger.warn({
          event: 'order.reconcile_failed',
          orderId: order.id,
          klarnaOrderId: order.klarnaOrderId,
          ...(error instanceof KlarnaApiError ? error.toLog() : {}),
        });
        continue;
      }
      result.checked++;
      if (await this.reconcile(order, klarnaOrder)) result.drifted++;
    }
    result.expiringUncaptured = await this.expiringUncaptured(now);
    this.logger.log({
      event: 'order.reconciled',
      checked: result.checked,
      drifted: result.drifted,
      failed: result.failed,
      openOperations,
      expiringUncaptured: result.expiringUncaptured.length,
    });
    return result;
  }

  /** Once a day: every open authorization about to lapse with money left to capture, one log line each. */
  async reportExpiring(now = new Date()): Promise<ExpiringOrder[]> {
    const expiring = await this.expiringUncaptured(now);
    for (const order of expiring) this.logger.warn({ event: 'order.expiring_uncaptured', ...order });
    return expiring;
  }

  async drift(since: Date | undefined, limit: number): Promise<DriftView[]> {
    return (await this.orders.listDrift(this.prisma, since, limit)).map((row) => ({
      id: row.id,
      orderId: row.orderId,
      field: row.field,
      ours: row.ours,
      klarna: row.klarna,
      applied: row.applied,
      detectedAt: row.detectedAt.toISOString(),
    }));
  }

  /** Applies Klarna's side forward and records the differences; true when there were any. */
  private async reconcile(order: OrderRecord, klarnaOrder: KlarnaManagedOrder): Promise<boolean> {
    const expiresAt = klarnaOrder.expiresAt ? new Date(klarnaOrder.expiresAt) : null;
    // A field we did not know yet (no push read so far) is filled in, not drift.
    const drift = driftBetween(order, {
      klarnaStatus: klarnaStatusOf(klarnaOrder.status),
      capturedAmount: klarnaOrder.capturedAmount,
      refundedAmount: klarnaOrder.refundedAmount ?? 0,
      expiresAt: expiresAt && !Number.isNaN(expiresAt.getTime()) ? expiresAt : null,
    }).filter((difference) => difference.ours !== null);
    const recorded = await this.prisma.$transaction(async (tx) => {
      await this.orderService.applyManagedState(tx, order, klarnaOrder);
      const added: typeof drift = [];
      for (const difference of drift) {
        const isNew = await this.orders.recordDrift(tx, {
          orderId: order.id,
          field: difference.field,
          ours: difference.ours,
          klarna: difference.klarna,
          applied: difference.forward,
        });
        if (isNew) added.push(difference);
      }
      await this.orders.markReconciled(tx, order.id);
      return added;
    });
    for (const difference of recorded) {
      this.metrics.orderDrift.inc({ field: difference.field, applied: String(difference.forward) });
      this.logger.warn({
        event: 'order.drift',
        orderId: order.id,
        klarnaOrderId: order.klarnaOrderId,
        field: difference.field,
        ours: difference.ours,
        klarna: difference.klarna,
        applied: difference.forward,
      });
    }
    return recorded.length > 0;
  }

  private async expiringUncaptured(now: Date): Promise<ExpiringOrder[]> {
    const before = new Date(now.getTime() + EXPIRY_WARNING_DAYS * DAY_MS);
    const orders = await this.orders.expiringUncaptured(this.prisma, now, before);
    this.metrics.ordersExpiringUncaptured.set(orders.length);
    // The merchant's systems hear of each once per order and expiry date, whichever run (reconciliation or the daily
    // report) finds it first.
    for (const order of orders) await this.events.recordExpiring(this.prisma, order.id, order.expiresAt!.toISOString());
    return orders.map((order) => ({
      orderId: order.id,
      klarnaOrderId: order.klarnaOrderId,
      expiresAt: order.expiresAt!.toISOString(),
      remainingAuthorizedAmount: remainingAuthorized(order, now),
    }));
  }
}
