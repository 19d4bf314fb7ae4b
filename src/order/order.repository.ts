import { Injectable } from '@nestjs/common';
import type { PrismaTransaction } from '../database/prisma.service.js';
import type { Order, OrderOperation, Prisma, UnmatchedKlarnaOrder } from '../generated/prisma/client.js';
import type { KlarnaOrderLine } from '../klarna/klarna.types.js';
import type { OrderStatus } from './order-state.js';
import type { OrderRecord } from './order.types.js';

const toRecord = (order: Order): OrderRecord => ({
  ...order,
  orderLines: order.orderLines as unknown as KlarnaOrderLine[],
});

/** A placement whose outcome is still open: being placed, or waiting for ops. */
const UNRESOLVED: OrderStatus[] = ['placing', 'needs_attention'];

/**
 * The only code that touches Order, OrderOperation and UnmatchedKlarnaOrder. Orders are never deleted and their
 * status, fraud status and captured amount only move forward: every state change is a conditional UPDATE on the
 * ranks the money_safety migration defines, and a trigger refuses anything else.
 */
@Injectable()
export class OrderRepository {
  async findById(db: PrismaTransaction, id: string): Promise<OrderRecord | null> {
    const order = await db.order.findUnique({ where: { id } });
    return order ? toRecord(order) : null;
  }

  /** The cart's order that is not failed (at most one: partial unique index order_cart_id_live_key). */
  async findLiveByCart(db: PrismaTransaction, cartId: string): Promise<OrderRecord | null> {
    const order = await db.order.findFirst({ where: { cartId, status: { not: 'failed' } } });
    return order ? toRecord(order) : null;
  }

  async createPlacing(
    tx: PrismaTransaction,
    order: Pick<
      OrderRecord,
      | 'id'
      | 'cartId'
      | 'authorizationId'
      | 'orderAmount'
      | 'orderTaxAmount'
      | 'purchaseCountry'
      | 'purchaseCurrency'
      | 'orderLines'
    >,
  ): Promise<OrderRecord> {
    const created = await tx.order.create({
      data: {
        ...order,
        orderLines: order.orderLines as unknown as Prisma.InputJsonValue,
        status: 'placing',
        merchantReference1: order.id,
      },
    });
    return toRecord(created);
  }

  /** Counts a failed attempt at create order; `outcomeUnknown` once Klarna may have acted on one. */
  async countFailedAttempt(db: PrismaTransaction, id: string, outcomeUnknown: boolean): Promise<void> {
    await db.$executeRaw`
      UPDATE "order" SET failed_attempts = failed_attempts + 1,
        placement_outcome_unknown = placement_outcome_unknown OR ${outcomeUnknown}, updated_at = now()
      WHERE id = ${id}::uuid`;
  }

  /** Records Klarna's order on an unresolved placement; false when someone (push, job, ops) already did. */
  async completePlacement(
    tx: PrismaTransaction,
    id: string,
    placed: { klarnaOrderId: string; fraudStatus: string; redirectUrl: string | null; correlationId: string | null },
  ): Promise<boolean> {
    const { count } = await tx.order.updateMany({
      where: { id, status: { in: UNRESOLVED } },
      data: {
        status: 'placed',
        klarnaOrderId: placed.klarnaOrderId,
        fraudStatus: placed.fraudStatus,
        redirectUrl: placed.redirectUrl,
        lastCorrelationId: placed.correlationId,
        attentionReason: null,
      },
    });
    return count === 1;
  }

  /** Klarna definitely refused: the row is kept, terminal, with Klarna's error code and correlation id. */
  async failPlacement(
    tx: PrismaTransaction,
    id: string,
    failure: { failureStatus: number; failureCode: string; correlationId: string | null },
  ): Promise<boolean> {
    const { count } = await tx.order.updateMany({
      where: { id, status: { in: UNRESOLVED } },
      data: {
        status: 'failed',
        failureStatus: failure.failureStatus,
        failureCode: failure.failureCode,
        lastCorrelationId: failure.correlationId,
      },
    });
    return count === 1;
  }

  /** A placement still unknown past the deadline: handed to ops. */
  async markNeedsAttention(db: PrismaTransaction, id: string, reason: string): Promise<boolean> {
    const { count } = await db.order.updateMany({
      where: { id, status: 'placing' },
      data: { status: 'needs_attention', attentionReason: reason },
    });
    return count === 1;
  }

  /**
   * Moves an order towards what Order Management says, forward only: each field takes the new value only when
   * it ranks higher, in one statement, so a late or repeated callback never undoes a newer one whatever the
   * order of arrival.
   */
  async advanceState(
    db: PrismaTransaction,
    id: string,
    state: { status: OrderStatus; fraudStatus: string; capturedAmount: number },
  ): Promise<{ status: OrderStatus; fraudStatus: string | null } | null> {
    const [row] = await db.$queryRaw<{ status: OrderStatus; fraud_status: string | null }[]>`
      UPDATE "order" SET
        status = CASE
          WHEN status NOT IN ('failed', 'cancelled')
           AND order_status_rank(${state.status}::"OrderStatus") > order_status_rank(status)
          THEN ${state.status}::"OrderStatus" ELSE status END,
        fraud_status = CASE
          WHEN fraud_status_rank(${state.fraudStatus}) > fraud_status_rank(fraud_status)
          THEN ${state.fraudStatus} ELSE fraud_status END,
        captured_amount = GREATEST(captured_amount, ${state.capturedAmount}),
        updated_at = now()
      WHERE id = ${id}::uuid
      RETURNING status::text AS status, fraud_status`;
    return row ? { status: row.status, fraudStatus: row.fraud_status } : null;
  }

  async updateAmount(
    tx: PrismaTransaction,
    id: string,
    amount: {
      orderAmount: number;
      orderTaxAmount: number;
      orderLines: KlarnaOrderLine[];
      correlationId: string | null;
    },
  ): Promise<void> {
    await tx.order.update({
      where: { id },
      data: {
        orderAmount: amount.orderAmount,
        orderTaxAmount: amount.orderTaxAmount,
        orderLines: amount.orderLines as unknown as Prisma.InputJsonValue,
        lastCorrelationId: amount.correlationId,
      },
    });
  }

  async withStatusOlderThan(
    db: PrismaTransaction,
    status: OrderStatus,
    before: Date,
  ): Promise<{ id: string; cartId: string; createdAt: Date }[]> {
    return db.order.findMany({
      where: { status, createdAt: { lt: before } },
      select: { id: true, cartId: true, createdAt: true },
      orderBy: { createdAt: 'asc' },
      take: 100,
    });
  }

  async needingAttention(db: PrismaTransaction): Promise<OrderRecord[]> {
    const orders = await db.order.findMany({
      where: { status: 'needs_attention' },
      orderBy: { createdAt: 'asc' },
      take: 500,
    });
    return orders.map(toRecord);
  }

  countByStatus(db: PrismaTransaction, status: OrderStatus): Promise<number> {
    return db.order.count({ where: { status } });
  }

  /** Keeps a Klarna order we cannot match (seen again: its last sighting moves). */
  async recordUnmatched(
    db: PrismaTransaction,
    unmatched: {
      klarnaOrderId: string;
      cartId: string | null;
      merchantReference1: string | null;
      reason: string;
      correlationId: string | null;
    },
  ): Promise<void> {
    await db.unmatchedKlarnaOrder.upsert({
      where: { klarnaOrderId: unmatched.klarnaOrderId },
      create: unmatched,
      update: { lastSeenAt: new Date(), reason: unmatched.reason },
    });
  }

  unresolvedUnmatched(db: PrismaTransaction): Promise<UnmatchedKlarnaOrder[]> {
    return db.unmatchedKlarnaOrder.findMany({
      where: { resolvedAt: null },
      orderBy: { firstSeenAt: 'asc' },
      take: 500,
    });
  }

  async resolveUnmatched(db: PrismaTransaction, klarnaOrderId: string): Promise<void> {
    await db.unmatchedKlarnaOrder.updateMany({
      where: { klarnaOrderId, resolvedAt: null },
      data: { resolvedAt: new Date() },
    });
  }

  findOperation(
    db: PrismaTransaction,
    orderId: string,
    kind: string,
    requestKey: string,
  ): Promise<OrderOperation | null> {
    return db.orderOperation.findUnique({ where: { orderId_kind_requestKey: { orderId, kind, requestKey } } });
  }

  createOperation(
    db: PrismaTransaction,
    operation: {
      orderId: string;
      kind: string;
      requestKey: string;
      request: Prisma.InputJsonValue;
      requestHash: string;
    },
  ): Promise<OrderOperation> {
    return db.orderOperation.create({ data: { ...operation, status: 'pending' } });
  }

  /** pending -> unknown -> succeeded | refused; a settled operation is never changed (trigger). */
  async settleOperation(
    db: PrismaTransaction,
    id: string,
    outcome: { status: 'unknown' | 'succeeded' | 'refused'; correlationId: string | null; errorCode?: string },
  ): Promise<void> {
    await db.orderOperation.updateMany({
      where: { id, status: { in: outcome.status === 'unknown' ? ['pending'] : ['pending', 'unknown'] } },
      data: { status: outcome.status, correlationId: outcome.correlationId, errorCode: outcome.errorCode ?? null },
    });
  }
}
