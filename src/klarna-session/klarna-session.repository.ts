import { randomUUID } from 'node:crypto';
import { uuidV7 } from '../common/uuid.js';
import { Injectable } from '@nestjs/common';
import type { PrismaTransaction } from '../database/prisma.service.js';
import { rowsOf, type Db } from '../database/sql.js';
import { Prisma, type KlarnaAuthorization, type KlarnaSession } from '../generated/prisma/client.js';

export interface SyncError {
  errorCode: string;
  errorMessages: string[];
  correlationId: string | null;
}

export interface NewSession {
  cartId: string;
  sessionId: string;
  clientToken: string;
  paymentMethodCategories: Prisma.InputJsonValue;
  purchaseCountry: string;
  purchaseCurrency: string;
  intent: string;
  expiresAt: Date;
  syncedVersion: number;
  syncedPayloadHash: string;
  lastCorrelationId: string | null;
}

const SESSION_COLUMNS = Prisma.sql`id, cart_id AS "cartId", session_id AS "sessionId", client_token AS "clientToken",
  payment_method_categories AS "paymentMethodCategories", status::text AS status,
  purchase_country AS "purchaseCountry", purchase_currency AS "purchaseCurrency",
  expires_at AS "expiresAt", synced_version AS "syncedVersion",
  synced_payload_hash AS "syncedPayloadHash", last_sync_error AS "lastSyncError",
  last_correlation_id AS "lastCorrelationId", live, push_outcome_unknown AS "pushOutcomeUnknown", intent,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

const AUTHORIZATION_COLUMNS = Prisma.sql`id, cart_id AS "cartId", klarna_session_id AS "klarnaSessionId",
  authorization_token AS "authorizationToken", cart_version AS "cartVersion", status::text AS status,
  source::text AS source, held_for_review AS "heldForReview", created_at AS "createdAt", expires_at AS "expiresAt",
  released_at AS "releasedAt"`;

/** A row as Postgres's `to_json` gives it: timestamps arrive as ISO text. */
type JsonRow = Record<string, unknown>;

function withDates<T>(row: JsonRow | null, dateColumns: readonly (keyof T & string)[]): T | null {
  if (!row) return null;
  for (const column of dateColumns) {
    const value = row[column];
    if (typeof value === 'string') row[column] = new Date(value);
  }
  return row as T;
}

/** Statuses of authorizations that will never become an order, and that Klarna should therefore release. */
const RELEASABLE = ['stale', 'cancelled', 'expired'] as const;

/**
 * SQL: whether the cart holds authorizations Klarna should still release (what the release job reads), for a
 * statement that decides in passing whether to queue that job.
 */
export function unreleasedAuthorizationsExist(cartId: string): Prisma.Sql {
  return Prisma.sql`EXISTS (
    SELECT 1 FROM klarna_authorization
    WHERE cart_id = ${cartId}::uuid AND status::text IN (${Prisma.join([...RELEASABLE])})
      AND released_at IS NULL AND expires_at > now())`;
}

/** The only code that touches KlarnaSession and KlarnaAuthorization (the sentence above aside). */
@Injectable()
export class KlarnaSessionRepository {
  /** The cart's live session. */
  async findByCart(db: Db, cartId: string): Promise<KlarnaSession | null> {
    const [row] = await rowsOf<KlarnaSession>(
      db,
      Prisma.sql`SELECT ${SESSION_COLUMNS} FROM klarna_session WHERE cart_id = ${cartId}::uuid AND live`,
    );
    return row ?? null;
  }

  /**
   * Klarna's authorization callback: the cart's live session and the authorization with this token, in one round
   * trip (as JSON, so the two rows' like-named columns stay apart).
   */
  async findLiveSessionAndAuthorization(
    db: Db,
    cartId: string,
    authorizationToken: string,
  ): Promise<{ session: KlarnaSession | null; authorization: KlarnaAuthorization | null }> {
    const [row] = await rowsOf<{ session: JsonRow | null; authorization: JsonRow | null }>(
      db,
      Prisma.sql`
      SELECT (SELECT to_json(s) FROM (SELECT ${SESSION_COLUMNS} FROM klarna_session
                                      WHERE cart_id = ${cartId}::uuid AND live) s) AS "session",
             (SELECT to_json(a) FROM (SELECT ${AUTHORIZATION_COLUMNS} FROM klarna_authorization
                                      WHERE authorization_token = ${authorizationToken}) a) AS "authorization"`,
    );
    return {
      session: withDates<KlarnaSession>(row.session, ['expiresAt', 'createdAt', 'updatedAt']),
      authorization: withDates<KlarnaAuthorization>(row.authorization, ['createdAt', 'expiresAt', 'releasedAt']),
    };
  }

  async findById(db: Db, id: string): Promise<KlarnaSession | null> {
    const [row] = await rowsOf<KlarnaSession>(
      db,
      Prisma.sql`SELECT ${SESSION_COLUMNS} FROM klarna_session WHERE id = ${id}::uuid`,
    );
    return row ?? null;
  }

  /** A new session becomes the cart's live one; the one it replaces is kept (its authorizations refer to it). */
  async saveNew(db: Db, session: NewSession): Promise<KlarnaSession> {
    const [saved] = await rowsOf<KlarnaSession>(
      db,
      Prisma.sql`
      WITH replaced AS (
        UPDATE klarna_session
        SET live = false, status = CASE WHEN status = 'active' THEN 'replaced'::"KlarnaSessionStatus" ELSE status END,
            updated_at = now()
        WHERE cart_id = ${session.cartId}::uuid AND live
        RETURNING id
      )
      INSERT INTO klarna_session (id, cart_id, session_id, client_token, payment_method_categories, purchase_country,
                                  purchase_currency, intent, expires_at, synced_version, synced_payload_hash,
                                  last_correlation_id, live, updated_at)
      SELECT ${uuidV7()}::uuid, ${session.cartId}::uuid, ${session.sessionId}, ${session.clientToken},
             ${JSON.stringify(session.paymentMethodCategories)}::jsonb, ${session.purchaseCountry},
             ${session.purchaseCurrency}, ${session.intent}, ${session.expiresAt}::timestamptz,
             ${session.syncedVersion}, ${session.syncedPayloadHash}, ${session.lastCorrelationId}, true, now()
      FROM (SELECT count(*) FROM replaced) AS after_replacing
      RETURNING ${SESSION_COLUMNS}`,
    );
    return saved;
  }

  async markSynced(
    db: Db,
    id: string,
    version: number,
    payloadHash: string,
    correlationId: string | null,
  ): Promise<void> {
    await rowsOf(
      db,
      Prisma.sql`
      UPDATE klarna_session
      SET synced_version = ${version}, synced_payload_hash = ${payloadHash}, last_sync_error = NULL,
          push_outcome_unknown = false,
          last_correlation_id = COALESCE(${correlationId}, last_correlation_id), updated_at = now()
      WHERE id = ${id}::uuid`,
    );
  }

  /**
   * After a successful push, in one round trip: the session holds this version, and the cart's active
   * authorizations went stale (the cart changed after them). Returns how many went stale, and the status
   * the newest authorization had before.
   */
  async recordPush(
    db: Db,
    session: { id: string; cartId: string },
    version: number,
    payloadHash: string,
    correlationId: string | null,
  ): Promise<{ staled: number; latestStatus: string | null }> {
    const [row] = await rowsOf<{ staled: number; latest_status: string | null }>(
      db,
      Prisma.sql`
      WITH staled AS (
        UPDATE klarna_authorization SET status = 'stale'
        WHERE cart_id = ${session.cartId}::uuid AND status = 'active' RETURNING id
      ), synced AS (
        UPDATE klarna_session
        SET synced_version = ${version}, synced_payload_hash = ${payloadHash}, last_sync_error = NULL,
            push_outcome_unknown = false,
            last_correlation_id = COALESCE(${correlationId}, last_correlation_id), updated_at = now()
        WHERE id = ${session.id}::uuid RETURNING id
      )
      SELECT (SELECT count(*) FROM staled)::int AS staled, (SELECT count(*) FROM synced)::int AS synced,
             (SELECT status::text FROM klarna_authorization WHERE cart_id = ${session.cartId}::uuid
              ORDER BY created_at DESC LIMIT 1) AS latest_status`,
    );
    return { staled: row?.staled ?? 0, latestStatus: row?.latest_status ?? null };
  }

  /**
   * A push Klarna did not take. `outcomeUnknown`: it may have taken it (timeout, 5xx), so the session stays
   * "unknown" until a later push succeeds or a read-back shows Klarna holds the cart.
   */
  async recordSyncError(db: Db, id: string, error: SyncError, outcomeUnknown: boolean): Promise<void> {
    await rowsOf(
      db,
      Prisma.sql`
      UPDATE klarna_session
      SET last_sync_error = ${JSON.stringify(error)}::jsonb,
          push_outcome_unknown = push_outcome_unknown OR ${outcomeUnknown},
          last_correlation_id = COALESCE(${error.correlationId}, last_correlation_id), updated_at = now()
      WHERE id = ${id}::uuid`,
    );
  }

  /** Marks the cart's active authorizations stale: the cart changed after them. */
  async staleActiveAuthorizations(db: Db, cartId: string): Promise<void> {
    await rowsOf(
      db,
      Prisma.sql`
      UPDATE klarna_authorization SET status = 'stale' WHERE cart_id = ${cartId}::uuid AND status = 'active'`,
    );
  }

  /** A replaced session's authorizations can no longer become orders. */
  async expireAuthorizations(db: Db, cartId: string): Promise<void> {
    await rowsOf(
      db,
      Prisma.sql`
      UPDATE klarna_authorization SET status = 'expired'
      WHERE cart_id = ${cartId}::uuid AND status IN ('active', 'stale')`,
    );
  }

  async latestAuthorizationStatus(db: Db, cartId: string): Promise<string | null> {
    const [row] = await rowsOf<{ status: string }>(
      db,
      Prisma.sql`
      SELECT status::text AS status FROM klarna_authorization WHERE cart_id = ${cartId}::uuid
      ORDER BY created_at DESC LIMIT 1`,
    );
    return row?.status ?? null;
  }

  async findAuthorization(db: Db, authorizationToken: string): Promise<KlarnaAuthorization | null> {
    const [row] = await rowsOf<KlarnaAuthorization>(
      db,
      Prisma.sql`SELECT ${AUTHORIZATION_COLUMNS} FROM klarna_authorization WHERE authorization_token = ${authorizationToken}`,
    );
    return row ?? null;
  }

  findAuthorizationById(db: PrismaTransaction, id: string): Promise<KlarnaAuthorization | null> {
    return db.klarnaAuthorization.findUnique({ where: { id } });
  }

  latestActiveAuthorization(db: PrismaTransaction, cartId: string): Promise<KlarnaAuthorization | null> {
    return db.klarnaAuthorization.findFirst({ where: { cartId, status: 'active' }, orderBy: { createdAt: 'desc' } });
  }

  /**
   * Records a new authorization for the cart; in the same statement the cart's other active ones become stale (a
   * newer authorization replaces the older ones; Klarna: use the new token).
   */
  async createAuthorization(
    db: Db,
    authorization: Pick<
      KlarnaAuthorization,
      'cartId' | 'klarnaSessionId' | 'authorizationToken' | 'cartVersion' | 'source' | 'heldForReview' | 'expiresAt'
    >,
  ): Promise<KlarnaAuthorization> {
    const { cartId } = authorization;
    const [row] = await rowsOf<KlarnaAuthorization>(
      db,
      Prisma.sql`
      WITH superseded AS (
        UPDATE klarna_authorization SET status = 'stale' WHERE cart_id = ${cartId}::uuid AND status = 'active'
      )
      INSERT INTO klarna_authorization
        (id, cart_id, klarna_session_id, authorization_token, cart_version, source, held_for_review, expires_at)
      VALUES (${randomUUID()}::uuid, ${cartId}::uuid, ${authorization.klarnaSessionId}::uuid,
        ${authorization.authorizationToken}, ${authorization.cartVersion},
        ${authorization.source}::"AuthorizationSource", ${authorization.heldForReview}, ${authorization.expiresAt})
      RETURNING ${AUTHORIZATION_COLUMNS}`,
    );
    return row;
  }

  async setHeldForReview(db: Db, id: string, heldForReview: boolean): Promise<KlarnaAuthorization> {
    const [row] = await rowsOf<KlarnaAuthorization>(
      db,
      Prisma.sql`
      UPDATE klarna_authorization SET held_for_review = ${heldForReview} WHERE id = ${id}::uuid
      RETURNING ${AUTHORIZATION_COLUMNS}`,
    );
    return row;
  }

  updateAuthorization(
    db: PrismaTransaction,
    id: string,
    changes: Partial<Pick<KlarnaAuthorization, 'status'>>,
  ): Promise<KlarnaAuthorization> {
    return db.klarnaAuthorization.update({ where: { id }, data: changes });
  }

  /** Authorizations that will never become an order, still valid at Klarna, and not released yet. */
  unreleasedAuthorizations(
    db: PrismaTransaction,
    { cartId, limit }: { cartId?: string; limit: number },
  ): Promise<KlarnaAuthorization[]> {
    return db.klarnaAuthorization.findMany({
      where: { cartId, status: { in: [...RELEASABLE] }, releasedAt: null, expiresAt: { gt: new Date() } },
      orderBy: { createdAt: 'asc' },
      take: limit,
    });
  }

  async markReleased(db: PrismaTransaction, id: string): Promise<void> {
    await db.klarnaAuthorization.updateMany({ where: { id, releasedAt: null }, data: { releasedAt: new Date() } });
  }

  async saveCustomerToken(
    db: PrismaTransaction,
    token: { cartId: string; tokenId: string; intendedUse: string; description: string },
  ): Promise<void> {
    await db.customerToken.upsert({ where: { tokenId: token.tokenId }, create: token, update: {} });
  }
}
