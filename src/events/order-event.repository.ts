import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { PrismaTransaction } from '../database/prisma.service.js';
import type { OrderEvent, Prisma } from '../generated/prisma/client.js';
import type { EventStatus, OrderEventState, PreviousState } from './event-delivery-rules.js';

export interface OrderEventRecord {
  id: string;
  seq: string;
  orderId: string;
  type: string;
  state: OrderEventState;
  previous: PreviousState;
  status: EventStatus;
  attempts: number;
  nextAttemptAt: Date;
  retryFrom: Date;
  lastAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  lastResponse: string | null;
  deliveredAt: Date | null;
  deadAt: Date | null;
  replays: number;
  createdAt: Date;
}

/** An event handed to one delivery: only the holder of `claimToken` records its outcome. */
export interface ClaimedEvent {
  id: string;
  orderId: string;
  claimToken: string;
}

const toRecord = (row: OrderEvent): OrderEventRecord => ({
  id: row.id,
  seq: row.seq.toString(),
  orderId: row.orderId,
  type: row.type,
  state: row.state as unknown as OrderEventState,
  previous: row.previous as unknown as PreviousState,
  status: row.status as EventStatus,
  attempts: row.attempts,
  nextAttemptAt: row.nextAttemptAt,
  retryFrom: row.retryFrom,
  lastAttemptAt: row.lastAttemptAt,
  lastStatus: row.lastStatus,
  lastError: row.lastError,
  lastResponse: row.lastResponse,
  deliveredAt: row.deliveredAt,
  deadAt: row.deadAt,
  replays: row.replays,
  createdAt: row.createdAt,
});

/**
 * The only code that touches order_event. Events of order changes are written by the trigger order_emits_events
 * (same transaction as the change); this writes the reported ones and moves deliveries along. An order's event is
 * only ever claimed while every earlier event of that order is delivered: that is what keeps them in order.
 */
@Injectable()
export class OrderEventRepository {
  /** A reported event (order.expiring), once per order and key; false when it was written before. */
  async recordReported(
    db: PrismaTransaction,
    orderId: string,
    type: string,
    dedupeKey: string,
    previous: PreviousState = {},
  ): Promise<boolean> {
    const count = await db.$executeRaw`
      INSERT INTO order_event (order_id, type, state, previous, dedupe_key)
      SELECT o.id, ${type}, order_event_state(o), ${JSON.stringify(previous)}::jsonb, ${dedupeKey}
      FROM "order" o WHERE o.id = ${orderId}::uuid
      ON CONFLICT (order_id, type, dedupe_key) DO NOTHING`;
    return count === 1;
  }

  async findById(db: PrismaTransaction, id: string): Promise<OrderEventRecord | null> {
    const row = await db.orderEvent.findUnique({ where: { id } });
    return row ? toRecord(row) : null;
  }

  /** GET /events: oldest first by seq (delivery order), keyset-paginated. */
  async list(
    db: PrismaTransaction,
    filter: { status?: EventStatus; orderId?: string; afterSeq?: bigint; limit: number },
  ): Promise<OrderEventRecord[]> {
    const where: Prisma.OrderEventWhereInput = {
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.orderId ? { orderId: filter.orderId } : {}),
      ...(filter.afterSeq !== undefined ? { seq: { gt: filter.afterSeq } } : {}),
    };
    const rows = await db.orderEvent.findMany({ where, orderBy: { seq: 'asc' }, take: filter.limit });
    return rows.map(toRecord);
  }

  /**
   * Claims the due head event of up to `limit` orders: pending, its time come, no claim that still holds, and no
   * earlier event of its order undelivered (a dead one blocks the order until it is replayed). SKIP LOCKED lets
   * several instances claim side by side without waiting for each other.
   */
  async claimDue(db: PrismaTransaction, holdMs: number, limit: number): Promise<ClaimedEvent[]> {
    return db.$queryRaw<ClaimedEvent[]>`
      WITH due AS (
        SELECT e.id FROM order_event e
        WHERE e.status = 'pending' AND e.next_attempt_at <= now()
          AND (e.claimed_until IS NULL OR e.claimed_until < now())
          AND NOT EXISTS (SELECT 1 FROM order_event p
                          WHERE p.order_id = e.order_id AND p.seq < e.seq AND p.status <> 'delivered')
        ORDER BY e.seq LIMIT ${limit}
        FOR UPDATE OF e SKIP LOCKED
      )
      UPDATE order_event e SET claim_token = gen_random_uuid(),
        claimed_until = now() + make_interval(secs => ${holdMs / 1000})
      FROM due WHERE e.id = due.id
      RETURNING e.id, e.order_id AS "orderId", e.claim_token::text AS "claimToken"`;
  }

  /**
   * The order's next event after a delivery, claimed at once when it is due (the job goes on with it). The head is
   * read without a lock: skipping a locked head (SKIP LOCKED) would hand out the event after it, out of order.
   */
  async claimNextOfOrder(db: PrismaTransaction, orderId: string, holdMs: number): Promise<ClaimedEvent | undefined> {
    const token = randomUUID();
    const [row] = await db.$queryRaw<ClaimedEvent[]>`
      UPDATE order_event e SET claim_token = ${token}::uuid,
        claimed_until = now() + make_interval(secs => ${holdMs / 1000})
      WHERE e.id = (SELECT h.id FROM order_event h WHERE h.order_id = ${orderId}::uuid AND h.status <> 'delivered'
                    ORDER BY h.seq LIMIT 1)
        AND e.status = 'pending' AND e.next_attempt_at <= now()
        AND (e.claimed_until IS NULL OR e.claimed_until < now())
      RETURNING e.id, e.order_id AS "orderId", e.claim_token::text AS "claimToken"`;
    return row;
  }

  /** Renews the claim right before the POST; undefined when it is no longer this holder's (or no longer pending). */
  async holdClaim(db: PrismaTransaction, claim: ClaimedEvent, holdMs: number): Promise<OrderEventRecord | undefined> {
    const count = await db.$executeRaw`
      UPDATE order_event SET claimed_until = now() + make_interval(secs => ${holdMs / 1000})
      WHERE id = ${claim.id}::uuid AND claim_token = ${claim.claimToken}::uuid AND status = 'pending'`;
    if (count !== 1) return undefined;
    return (await this.findById(db, claim.id)) ?? undefined;
  }

  async recordDelivered(
    db: PrismaTransaction,
    claim: ClaimedEvent,
    answer: { status: number; response: string },
  ): Promise<boolean> {
    const count = await db.$executeRaw`
      UPDATE order_event SET status = 'delivered', attempts = attempts + 1, last_attempt_at = now(),
        last_status = ${answer.status}, last_error = NULL, last_response = ${answer.response},
        delivered_at = now(), claim_token = NULL, claimed_until = NULL
      WHERE id = ${claim.id}::uuid AND claim_token = ${claim.claimToken}::uuid AND status = 'pending'`;
    return count === 1;
  }

  async recordFailed(
    db: PrismaTransaction,
    claim: ClaimedEvent,
    answer: { status: number | null; error: string | null; response: string | null },
    next: { kind: 'retry'; at: Date } | { kind: 'dead' },
  ): Promise<boolean> {
    const dead = next.kind === 'dead';
    const at = next.kind === 'retry' ? next.at : null;
    const count = await db.$executeRaw`
      UPDATE order_event SET attempts = attempts + 1, last_attempt_at = now(), last_status = ${answer.status},
        last_error = ${answer.error}, last_response = ${answer.response},
        status = CASE WHEN ${dead} THEN 'dead' ELSE status END,
        dead_at = CASE WHEN ${dead} THEN now() ELSE dead_at END,
        next_attempt_at = COALESCE(${at}::timestamptz, next_attempt_at),
        claim_token = NULL, claimed_until = NULL
      WHERE id = ${claim.id}::uuid AND claim_token = ${claim.claimToken}::uuid AND status = 'pending'`;
    return count === 1;
  }

  /** Back to pending now, with a new retry window; the same id (webhook-id), so receivers still dedupe. */
  async replay(db: PrismaTransaction, id: string): Promise<boolean> {
    const count = await db.$executeRaw`
      UPDATE order_event SET status = 'pending', replays = replays + 1, next_attempt_at = now(), retry_from = now(),
        dead_at = NULL, claim_token = NULL, claimed_until = NULL
      WHERE id = ${id}::uuid`;
    return count === 1;
  }

  async replayDead(db: PrismaTransaction): Promise<number> {
    return db.$executeRaw`
      UPDATE order_event SET status = 'pending', replays = replays + 1, next_attempt_at = now(), retry_from = now(),
        dead_at = NULL, claim_token = NULL, claimed_until = NULL
      WHERE status = 'dead'`;
  }

  /** For the metrics: events not delivered yet, the age of the oldest of them, and the dead ones. */
  async backlog(db: PrismaTransaction): Promise<{ pending: number; oldestAgeSeconds: number; dead: number }> {
    const [row] = await db.$queryRaw<{ pending: number; oldest: number | null; dead: number }[]>`
      SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
             EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE status = 'pending'))::float8 AS oldest,
             count(*) FILTER (WHERE status = 'dead')::int AS dead
      FROM order_event WHERE status <> 'delivered'`;
    return { pending: row.pending, oldestAgeSeconds: row.oldest ?? 0, dead: row.dead };
  }
}
