import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';

/** Rows handled per transaction: keeps row locks and WAL bursts small on a large backlog. */
export const RETENTION_BATCH = 500;

/**
 * The retention job's statements. An exception to "one repository per table": a maintenance job that reads
 * across the cart, order and webhook tables by age, in plain SQL, touching only what retention allows:
 * it never deletes an order or an order operation (money), and never a cart that has an order in any status or a
 * customer token (future charges).
 */
@Injectable()
export class RetentionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Deletes up to RETENTION_BATCH carts never ordered, idle (cart and Klarna session) since `cutoff`, with their
   * lines, session and authorizations. The candidates' row locks are taken first (placement takes the same lock
   * before writing an order; carts busy right now are skipped), then the delete checks again in a new statement,
   * whose snapshot sees any order committed meanwhile: it does not rely on a foreign key's cascade or restriction.
   */
  async deleteIdleUnorderedCarts(cutoff: Date): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const candidates = await tx.$queryRaw<{ id: string }[]>`
        SELECT c.id FROM cart c
        WHERE c.updated_at < ${cutoff}
          AND NOT EXISTS (SELECT 1 FROM "order" o WHERE o.cart_id = c.id)
          AND NOT EXISTS (SELECT 1 FROM customer_token t WHERE t.cart_id = c.id)
          AND NOT EXISTS (SELECT 1 FROM klarna_session s WHERE s.cart_id = c.id AND s.updated_at >= ${cutoff})
        ORDER BY c.updated_at
        LIMIT ${RETENTION_BATCH}
        FOR UPDATE OF c SKIP LOCKED`;
      if (candidates.length === 0) return 0;
      return tx.$executeRaw`
        DELETE FROM cart c
        WHERE c.id = ANY(${candidates.map((row) => row.id)}::uuid[])
          AND c.updated_at < ${cutoff}
          AND NOT EXISTS (SELECT 1 FROM "order" o WHERE o.cart_id = c.id)
          AND NOT EXISTS (SELECT 1 FROM customer_token t WHERE t.cart_id = c.id)`;
    });
  }

  /**
   * Removes the shopper's details (the cart's `customer`: addresses, email, phone, date of birth) from carts
   * idle since `cutoff` whose order, if any, has not changed since either. Lines, amounts and ids stay.
   */
  async scrubCartCustomers(cutoff: Date): Promise<number> {
    return this.prisma.$executeRaw`
      UPDATE cart c SET customer = NULL
      WHERE c.id IN (
        SELECT c2.id FROM cart c2
        WHERE c2.customer IS NOT NULL AND c2.updated_at < ${cutoff}
          AND NOT EXISTS (SELECT 1 FROM "order" o WHERE o.cart_id = c2.id AND o.updated_at >= ${cutoff})
        LIMIT ${RETENTION_BATCH}
        FOR UPDATE SKIP LOCKED)`;
  }

  /**
   * Keeps only ids, amounts, statuses and types (`order_id`, `session_id`, `event_type`, `order_amount` ...) of
   * webhook payloads received before `cutoff`; whatever else Klarna or a caller sent is dropped.
   */
  async scrubWebhookPayloads(cutoff: Date): Promise<number> {
    return this.prisma.$executeRaw`
      WITH scrubbed AS (
        SELECT w.id, COALESCE(
          (SELECT jsonb_object_agg(key, value) FROM jsonb_each(w.payload)
           WHERE key ~ '^[a-z_]*(id|amount|status|type)$' OR key ~ '^[a-z][A-Za-z]*(Id|Amount|Status|Type)$'),
          '{}'::jsonb) AS payload
        FROM webhook_event w
        WHERE w.received_at < ${cutoff} AND jsonb_typeof(w.payload) = 'object'
      ), changed AS (
        SELECT w.id FROM webhook_event w JOIN scrubbed s ON s.id = w.id
        WHERE w.payload <> s.payload
        LIMIT ${RETENTION_BATCH}
        FOR UPDATE OF w SKIP LOCKED
      )
      UPDATE webhook_event w SET payload = s.payload
      FROM scrubbed s, changed
      WHERE w.id = s.id AND changed.id = w.id`;
  }
}
