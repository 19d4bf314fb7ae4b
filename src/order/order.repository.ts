import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import type { PrismaTransaction } from '../database/prisma.service.js';
import { isUuidText, rowsOf, type Db } from '../database/sql.js';
import { beginWith } from '../database/transaction.js';
import type {
  Order,
  OrderCapture,
  OrderDrift,
  OrderOperation,
  OrderRefund,
  UnmatchedKlarnaOrder,
} from '../generated/prisma/client.js';
import { Prisma } from '../generated/prisma/client.js';
import type { KlarnaOrderLine, KlarnaShippingInfo } from '../klarna/klarna.types.js';
import { unreleasedAuthorizationsExist } from '../klarna-session/klarna-session.repository.js';
import type { KlarnaOrderStatus } from './order-management-rules.js';
import type { OrderStatus } from './order-state.js';
import type { OrderRecord } from './order.types.js';

const toRecord = (order: Order): OrderRecord => ({
  ...order,
  klarnaStatus: order.klarnaStatus as KlarnaOrderStatus | null,
  orderLines: order.orderLines as unknown as KlarnaOrderLine[],
});

const ORDER_COLUMNS = Prisma.sql`id, cart_id AS "cartId", klarna_order_id AS "klarnaOrderId",
  authorization_id AS "authorizationId", status::text AS status, fraud_status AS "fraudStatus",
  order_amount AS "orderAmount", order_tax_amount AS "orderTaxAmount", captured_amount AS "capturedAmount",
  purchase_country AS "purchaseCountry", purchase_currency AS "purchaseCurrency", order_lines AS "orderLines",
  redirect_url AS "redirectUrl", merchant_reference1 AS "merchantReference1",
  merchant_reference2 AS "merchantReference2", last_correlation_id AS "lastCorrelationId",
  failed_attempts AS "failedAttempts", placement_outcome_unknown AS "placementOutcomeUnknown",
  failure_status AS "failureStatus", failure_code AS "failureCode", attention_reason AS "attentionReason",
  klarna_status AS "klarnaStatus", refunded_amount AS "refundedAmount",
  remaining_authorized_amount AS "remainingAuthorizedAmount", expires_at AS "expiresAt",
  auto_capture AS "autoCapture", reconciled_at AS "reconciledAt", created_at AS "createdAt",
  updated_at AS "updatedAt"`;

const CAPTURE_COLUMNS = Prisma.sql`id, order_id AS "orderId", operation_id AS "operationId",
  klarna_capture_id AS "klarnaCaptureId", captured_amount AS "capturedAmount", description, reference,
  order_lines AS "orderLines", shipping_info AS "shippingInfo", captured_at AS "capturedAt", created_at AS "createdAt"`;

const REFUND_COLUMNS = Prisma.sql`id, order_id AS "orderId", operation_id AS "operationId",
  klarna_refund_id AS "klarnaRefundId", refunded_amount AS "refundedAmount", description, reference,
  order_lines AS "orderLines", refunded_at AS "refundedAt", created_at AS "createdAt"`;

/** A capture or refund as Klarna made it, to be kept once (by Klarna's id). */
export interface NewCapture {
  operationId: string | null;
  klarnaCaptureId: string;
  capturedAmount: number;
  description?: string | null;
  reference?: string | null;
  orderLines: KlarnaOrderLine[];
  shippingInfo: KlarnaShippingInfo[];
  capturedAt: Date;
}

export interface NewRefund {
  operationId: string | null;
  klarnaRefundId: string;
  refundedAmount: number;
  description?: string | null;
  reference?: string | null;
  orderLines: KlarnaOrderLine[];
  refundedAt: Date;
}

export interface OrderListFilter {
  status?: OrderStatus;
  klarnaStatus?: KlarnaOrderStatus;
  createdFrom?: Date;
  createdTo?: Date;
  /** The last row of the previous page: newest first, ties broken by id. */
  after?: { createdAt: Date; id: string };
  limit: number;
}

/** A placement whose outcome is still open: being placed, or waiting for ops. */
const UNRESOLVED: OrderStatus[] = ['placing', 'needs_attention'];

/**
 * The only code that touches Order, OrderOperation and UnmatchedKlarnaOrder. Orders are never deleted and their
 * status, fraud status and captured amount only move forward: every state change is a conditional UPDATE on the
 * ranks the money_safety migration defines, and a trigger refuses anything else.
 */
@Injectable()
export class OrderRepository {
  async findById(db: Db, id: string): Promise<OrderRecord | null> {
    const [order] = await rowsOf<Order>(db, Prisma.sql`SELECT ${ORDER_COLUMNS} FROM "order" WHERE id = ${id}::uuid`);
    return order ? toRecord(order) : null;
  }

  /**
   * Opens a transaction and reads the order in the same round trip (Klarna's push and notifications): a simple query
   * can carry both, but no parameters, so the id goes in as a literal, checked to be a UUID first (else: no order).
   */
  async beginReadingOrder(client: pg.PoolClient, id: string | null): Promise<OrderRecord | null> {
    if (id === null || !isUuidText(id)) {
      await client.query('BEGIN');
      return null;
    }
    const read = await beginWith<Order>(
      client,
      `SELECT ${ORDER_COLUMNS.text} FROM "order" WHERE id = ${client.escapeLiteral(id)}::uuid`,
    );
    const [order] = read.rows;
    return order ? toRecord(order) : null;
  }

  /** The cart's order that is not failed (at most one: partial unique index order_cart_id_live_key). */
  async findLiveByCart(db: Db, cartId: string): Promise<OrderRecord | null> {
    const [order] = await rowsOf<Order>(
      db,
      Prisma.sql`SELECT ${ORDER_COLUMNS} FROM "order" WHERE cart_id = ${cartId}::uuid AND status <> 'failed' LIMIT 1`,
    );
    return order ? toRecord(order) : null;
  }

  /**
   * Writes the `placing` order row and, in the same statement, moves its cart to `placing` (the cart refuses every
   * change until the outcome is known). The two only ever happen together. Also says whether the cart holds
   * authorizations Klarna should release (the ones this placement's authorization superseded, say), so that the
   * release job is queued only when it has work.
   */
  async createPlacing(
    db: Db,
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
      | 'autoCapture'
    >,
  ): Promise<{ order: OrderRecord; unreleasedAuthorizations: boolean }> {
    const [created] = await rowsOf<Order & { unreleasedAuthorizations: boolean }>(
      db,
      Prisma.sql`
      WITH cart_placing AS (
        UPDATE cart SET status = 'placing', updated_at = now() WHERE id = ${order.cartId}::uuid
      )
      INSERT INTO "order" (id, cart_id, authorization_id, status, order_amount, order_tax_amount, purchase_country,
        purchase_currency, order_lines, merchant_reference1, auto_capture)
      VALUES (${order.id}::uuid, ${order.cartId}::uuid, ${order.authorizationId}::uuid, 'placing', ${order.orderAmount},
        ${order.orderTaxAmount}, ${order.purchaseCountry}, ${order.purchaseCurrency},
        ${JSON.stringify(order.orderLines)}::jsonb, ${order.id}, ${order.autoCapture})
      RETURNING ${ORDER_COLUMNS}, ${unreleasedAuthorizationsExist(order.cartId)} AS "unreleasedAuthorizations"`,
    );
    const { unreleasedAuthorizations, ...row } = created;
    return { order: toRecord(row), unreleasedAuthorizations };
  }

  /** Counts a failed attempt at create order; `outcomeUnknown` once Klarna may have acted on one. */
  async countFailedAttempt(db: PrismaTransaction, id: string, outcomeUnknown: boolean): Promise<void> {
    await db.$executeRaw`
      UPDATE "order" SET failed_attempts = failed_attempts + 1,
        placement_outcome_unknown = placement_outcome_unknown OR ${outcomeUnknown}, updated_at = now()
      WHERE id = ${id}::uuid`;
  }

  /**
   * Records Klarna's order on an unresolved placement and, in the same statement, what it settles: an unmatched
   * Klarna order with that id resolved, the cart ordered, the placement's authorization consumed and its session
   * completed. False, and nothing written, when someone (push, job, ops) already did. One statement instead of
   * five through Prisma: the cart, session and authorization rows belong to other modules, but these writes only
   * ever happen together, when an order is placed.
   */
  async completePlacement(
    db: Db,
    id: string,
    placed: { klarnaOrderId: string; fraudStatus: string; redirectUrl: string | null; correlationId: string | null },
  ): Promise<boolean> {
    const rows = await rowsOf<{ id: string }>(
      db,
      Prisma.sql`
      WITH placed AS (
        UPDATE "order" SET status = 'placed', klarna_order_id = ${placed.klarnaOrderId},
          fraud_status = ${placed.fraudStatus}, redirect_url = ${placed.redirectUrl},
          last_correlation_id = ${placed.correlationId}, attention_reason = NULL, updated_at = now()
        WHERE id = ${id}::uuid AND status::text = ANY(${UNRESOLVED}::text[])
        RETURNING id, cart_id, authorization_id
      ), resolved AS (
        UPDATE unmatched_klarna_order SET resolved_at = now()
        WHERE klarna_order_id = ${placed.klarnaOrderId} AND resolved_at IS NULL AND EXISTS (SELECT 1 FROM placed)
      ), ordered AS (
        UPDATE cart SET status = 'ordered', updated_at = now() WHERE id = (SELECT cart_id FROM placed)
      ), consumed AS (
        UPDATE klarna_authorization SET status = 'consumed' WHERE id = (SELECT authorization_id FROM placed)
        RETURNING klarna_session_id
      ), completed AS (
        UPDATE klarna_session SET status = 'completed', updated_at = now()
        WHERE id = (SELECT klarna_session_id FROM consumed)
      )
      SELECT id FROM placed`,
    );
    return rows.length === 1;
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
    db: Db,
    id: string,
    state: { status: OrderStatus; fraudStatus: string; capturedAmount: number },
  ): Promise<{ status: OrderStatus; fraudStatus: string | null } | null> {
    const [row] = await rowsOf<{ status: OrderStatus; fraud_status: string | null }>(
      db,
      Prisma.sql`
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
      RETURNING status::text AS status, fraud_status`,
    );
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

  /** Orders in this status (written before `before`, when given). */
  countByStatus(db: PrismaTransaction, status: OrderStatus, before?: Date): Promise<number> {
    return db.order.count({ where: before ? { status, createdAt: { lt: before } } : { status } });
  }

  /** Keeps a Klarna order we cannot match (seen again: its last sighting moves). */
  async recordUnmatched(
    db: Db,
    unmatched: {
      klarnaOrderId: string;
      cartId: string | null;
      merchantReference1: string | null;
      reason: string;
      correlationId: string | null;
    },
  ): Promise<void> {
    await rowsOf(
      db,
      Prisma.sql`
      INSERT INTO unmatched_klarna_order (id, klarna_order_id, cart_id, merchant_reference1, reason, correlation_id)
      VALUES (gen_random_uuid(), ${unmatched.klarnaOrderId}, ${unmatched.cartId}::uuid,
        ${unmatched.merchantReference1}, ${unmatched.reason}, ${unmatched.correlationId})
      ON CONFLICT (klarna_order_id) DO UPDATE SET last_seen_at = now(), reason = EXCLUDED.reason`,
    );
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
    outcome: {
      status: 'unknown' | 'succeeded' | 'refused';
      correlationId: string | null;
      errorCode?: string;
      result?: Prisma.InputJsonValue;
    },
  ): Promise<boolean> {
    const { count } = await db.orderOperation.updateMany({
      where: { id, status: { in: outcome.status === 'unknown' ? ['pending'] : ['pending', 'unknown'] } },
      data: {
        status: outcome.status,
        correlationId: outcome.correlationId,
        errorCode: outcome.errorCode ?? null,
        ...(outcome.result === undefined ? {} : { result: outcome.result }),
      },
    });
    return count === 1;
  }

  /** A settled operation's request without the personal data it carried (its fingerprint stays). */
  async replaceOperationRequest(db: PrismaTransaction, id: string, request: Prisma.InputJsonValue): Promise<void> {
    await db.orderOperation.updateMany({ where: { id, status: { in: ['succeeded', 'refused'] } }, data: { request } });
  }

  findOperationById(db: PrismaTransaction, id: string): Promise<OrderOperation | null> {
    return db.orderOperation.findUnique({ where: { id } });
  }

  /**
   * Locks the operation's row for recording Klarna's answer: the request and the retry job may both get it (the same
   * key makes Klarna answer both alike), and only the first records it. Returns its status under the lock.
   */
  async lockOperation(tx: PrismaTransaction, id: string): Promise<string | undefined> {
    const [row] = await tx.$queryRaw<{ status: string }[]>`
      SELECT status FROM order_operation WHERE id = ${id}::uuid FOR UPDATE`;
    return row?.status;
  }

  async countOperationAttempt(db: PrismaTransaction, id: string): Promise<void> {
    await db.$executeRaw`UPDATE order_operation SET attempts = attempts + 1, updated_at = now() WHERE id = ${id}::uuid`;
  }

  operationsOf(db: PrismaTransaction, orderId: string): Promise<OrderOperation[]> {
    return db.orderOperation.findMany({ where: { orderId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  /** Operations whose outcome is open: unknown, or pending for longer than a request can take (a crash mid-call). */
  openOperations(db: PrismaTransaction, pendingBefore: Date): Promise<OrderOperation[]> {
    return db.orderOperation.findMany({
      where: { OR: [{ status: 'unknown' }, { status: 'pending', createdAt: { lt: pendingBefore } }] },
      orderBy: { createdAt: 'asc' },
      take: 500,
    });
  }

  /** Whether an operation of the order is in flight (pending): the reconciliation leaves such an order for later. */
  async hasPendingOperation(db: PrismaTransaction, orderId: string): Promise<boolean> {
    return (await db.orderOperation.count({ where: { orderId, status: 'pending' } })) > 0;
  }

  /** Keeps a capture once: seen again (a replayed answer, the reconciliation) it only gains its operation. */
  async recordCapture(db: Db, orderId: string, capture: NewCapture): Promise<OrderCapture> {
    const [row] = await rowsOf<OrderCapture>(
      db,
      Prisma.sql`
      INSERT INTO order_capture (id, order_id, operation_id, klarna_capture_id, captured_amount, description, reference,
        order_lines, shipping_info, captured_at)
      VALUES (gen_random_uuid(), ${orderId}::uuid, ${capture.operationId}::uuid, ${capture.klarnaCaptureId},
        ${capture.capturedAmount}, ${capture.description ?? null}, ${capture.reference ?? null},
        ${JSON.stringify(capture.orderLines)}::jsonb, ${JSON.stringify(capture.shippingInfo)}::jsonb, ${capture.capturedAt})
      ON CONFLICT (klarna_capture_id) DO UPDATE
        SET operation_id = COALESCE(order_capture.operation_id, EXCLUDED.operation_id)
      RETURNING ${CAPTURE_COLUMNS}`,
    );
    return row;
  }

  async recordRefund(db: Db, orderId: string, refund: NewRefund): Promise<OrderRefund> {
    const [row] = await rowsOf<OrderRefund>(
      db,
      Prisma.sql`
      INSERT INTO order_refund (id, order_id, operation_id, klarna_refund_id, refunded_amount, description, reference,
        order_lines, refunded_at)
      VALUES (gen_random_uuid(), ${orderId}::uuid, ${refund.operationId}::uuid, ${refund.klarnaRefundId},
        ${refund.refundedAmount}, ${refund.description ?? null}, ${refund.reference ?? null},
        ${JSON.stringify(refund.orderLines)}::jsonb, ${refund.refundedAt})
      ON CONFLICT (klarna_refund_id) DO UPDATE
        SET operation_id = COALESCE(order_refund.operation_id, EXCLUDED.operation_id)
      RETURNING ${REFUND_COLUMNS}`,
    );
    return row;
  }

  capturesOf(db: PrismaTransaction, orderId: string): Promise<OrderCapture[]> {
    return db.orderCapture.findMany({ where: { orderId }, orderBy: [{ capturedAt: 'asc' }, { id: 'asc' }] });
  }

  refundsOf(db: PrismaTransaction, orderId: string): Promise<OrderRefund[]> {
    return db.orderRefund.findMany({ where: { orderId }, orderBy: [{ refundedAt: 'asc' }, { id: 'asc' }] });
  }

  findCapture(db: PrismaTransaction, orderId: string, captureId: string): Promise<OrderCapture | null> {
    return db.orderCapture.findFirst({ where: { id: captureId, orderId } });
  }

  findCaptureOfOperation(db: PrismaTransaction, operationId: string): Promise<OrderCapture | null> {
    return db.orderCapture.findUnique({ where: { operationId } });
  }

  findRefundOfOperation(db: PrismaTransaction, operationId: string): Promise<OrderRefund | null> {
    return db.orderRefund.findUnique({ where: { operationId } });
  }

  async appendShippingInfo(
    tx: PrismaTransaction,
    captureId: string,
    shippingInfo: KlarnaShippingInfo[],
  ): Promise<void> {
    await tx.$executeRaw`
      UPDATE order_capture SET shipping_info = shipping_info || ${JSON.stringify(shippingInfo)}::jsonb
      WHERE id = ${captureId}::uuid`;
  }

  /**
   * The order's captured and refunded amounts from its capture and refund rows (never below what it had: the
   * reconciliation may have taken Klarna's totals first), and Klarna's status after a capture, forward only.
   */
  async applyCapturesAndRefunds(tx: PrismaTransaction, id: string): Promise<void> {
    await tx.$executeRaw`
      WITH totals AS (
        SELECT GREATEST(o.captured_amount,
                 COALESCE((SELECT sum(captured_amount) FROM order_capture WHERE order_id = o.id), 0))::int AS captured,
               GREATEST(o.refunded_amount,
                 COALESCE((SELECT sum(refunded_amount) FROM order_refund WHERE order_id = o.id), 0))::int AS refunded,
               o.id
        FROM "order" o WHERE o.id = ${id}::uuid
      ), next AS (
        SELECT t.*, CASE WHEN t.captured = 0 THEN o.klarna_status
                         WHEN t.captured >= o.order_amount THEN 'captured' ELSE 'part_captured' END AS wanted
        FROM totals t JOIN "order" o ON o.id = t.id
      )
      UPDATE "order" o SET
        captured_amount = n.captured,
        refunded_amount = n.refunded,
        klarna_status = CASE WHEN klarna_status_rank(o.klarna_status) < 3
                              AND klarna_status_rank(n.wanted) > klarna_status_rank(o.klarna_status)
                             THEN n.wanted ELSE o.klarna_status END,
        remaining_authorized_amount = CASE
          WHEN klarna_status_rank(o.klarna_status) = 3 THEN 0
          ELSE GREATEST(o.order_amount - n.captured, 0) END,
        updated_at = now()
      FROM next n WHERE o.id = n.id`;
  }

  /**
   * Moves Klarna's side of the order forward: status by rank (never out of a final one), amounts only up; the expiry
   * is Klarna's (an earlier one is what finance must see first), and the remaining authorized amount is taken as given (it shrinks with captures and grows with an
   * amount increase).
   */
  async advanceKlarnaState(
    db: Db,
    id: string,
    state: {
      klarnaStatus?: KlarnaOrderStatus;
      capturedAmount?: number;
      refundedAmount?: number;
      remainingAuthorizedAmount?: number;
      expiresAt?: Date;
    },
  ): Promise<void> {
    await rowsOf(
      db,
      Prisma.sql`
      UPDATE "order" SET
        klarna_status = CASE WHEN ${state.klarnaStatus ?? null}::text IS NOT NULL
                              AND klarna_status_rank(klarna_status) < 3
                              AND klarna_status_rank(${state.klarnaStatus ?? null}::text) > klarna_status_rank(klarna_status)
                             THEN ${state.klarnaStatus ?? null}::text ELSE klarna_status END,
        captured_amount = GREATEST(captured_amount, ${state.capturedAmount ?? 0}),
        refunded_amount = GREATEST(refunded_amount, LEAST(${state.refundedAmount ?? 0}, GREATEST(captured_amount, ${state.capturedAmount ?? 0}))),
        remaining_authorized_amount = COALESCE(${state.remainingAuthorizedAmount ?? null}::int, remaining_authorized_amount),
        expires_at = COALESCE(${state.expiresAt ?? null}::timestamptz, expires_at),
        updated_at = now()
      WHERE id = ${id}::uuid`,
    );
  }

  async setMerchantReference2(tx: PrismaTransaction, id: string, merchantReference2: string): Promise<void> {
    await tx.order.update({ where: { id }, data: { merchantReference2 } });
  }

  async markReconciled(db: PrismaTransaction, id: string): Promise<void> {
    await db.$executeRaw`UPDATE "order" SET reconciled_at = now() WHERE id = ${id}::uuid`;
  }

  /** GET /orders: newest first, keyset-paginated on (created_at, id). */
  async list(db: PrismaTransaction, filter: OrderListFilter): Promise<OrderRecord[]> {
    const where: Prisma.OrderWhereInput = {
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.klarnaStatus ? { klarnaStatus: filter.klarnaStatus } : {}),
      createdAt: {
        ...(filter.createdFrom ? { gte: filter.createdFrom } : {}),
        ...(filter.createdTo ? { lt: filter.createdTo } : {}),
      },
      ...(filter.after
        ? {
            OR: [
              { createdAt: { lt: filter.after.createdAt } },
              { createdAt: filter.after.createdAt, id: { lt: filter.after.id } },
            ],
          }
        : {}),
    };
    const orders = await db.order.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: filter.limit,
    });
    return orders.map(toRecord);
  }

  /**
   * Orders the reconciliation reads from Order Management: placed, created or changed since `since`, and not
   * finished at Klarna (captured ones stay: refunds can still come).
   */
  async toReconcile(db: PrismaTransaction, since: Date, limit: number): Promise<OrderRecord[]> {
    const orders = await db.order.findMany({
      where: {
        klarnaOrderId: { not: null },
        status: { in: ['placed', 'confirmed'] },
        OR: [{ klarnaStatus: null }, { klarnaStatus: { in: ['authorized', 'part_captured', 'captured'] } }],
        AND: [{ OR: [{ createdAt: { gte: since } }, { updatedAt: { gte: since } }] }],
      },
      orderBy: [{ reconciledAt: { sort: 'asc', nulls: 'first' } }, { createdAt: 'asc' }],
      take: limit,
    });
    return orders.map(toRecord);
  }

  /**
   * Keeps a difference, unless the order's last one for the field says the same (a difference backwards stays
   * until ops resolve it: it is recorded once, not every run). True when it was new.
   */
  async recordDrift(
    tx: PrismaTransaction,
    drift: { orderId: string; field: string; ours: string | null; klarna: string | null; applied: boolean },
  ): Promise<boolean> {
    const last = await tx.orderDrift.findFirst({
      where: { orderId: drift.orderId, field: drift.field },
      orderBy: [{ detectedAt: 'desc' }, { id: 'desc' }],
    });
    if (last && last.ours === drift.ours && last.klarna === drift.klarna && last.applied === drift.applied)
      return false;
    await tx.orderDrift.create({ data: drift });
    return true;
  }

  listDrift(db: PrismaTransaction, since: Date | undefined, limit: number): Promise<OrderDrift[]> {
    return db.orderDrift.findMany({
      where: since ? { detectedAt: { gte: since } } : {},
      orderBy: [{ detectedAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
  }

  /** Open authorizations that lapse before `before` with something left to capture. */
  async expiringUncaptured(db: PrismaTransaction, now: Date, before: Date): Promise<OrderRecord[]> {
    const orders = await db.$queryRaw<{ id: string }[]>`
      SELECT id FROM "order"
      WHERE status IN ('placed', 'confirmed') AND klarna_order_id IS NOT NULL
        AND (klarna_status IS NULL OR klarna_status IN ('authorized', 'part_captured'))
        AND expires_at > ${now} AND expires_at <= ${before} AND captured_amount < order_amount
      ORDER BY expires_at LIMIT 1000`;
    if (orders.length === 0) return [];
    const rows = await db.order.findMany({
      where: { id: { in: orders.map((row) => row.id) } },
      orderBy: { expiresAt: 'asc' },
    });
    return rows.map(toRecord);
  }
}
