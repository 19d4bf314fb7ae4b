import { Injectable } from '@nestjs/common';
import type { PrismaTransaction } from '../database/prisma.service.js';
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
  expiresAt: Date;
  syncedVersion: number;
  syncedPayloadHash: string;
  lastCorrelationId: string | null;
}

/** The only code that touches KlarnaSession and KlarnaAuthorization. */
@Injectable()
export class KlarnaSessionRepository {
  findByCart(db: PrismaTransaction, cartId: string): Promise<KlarnaSession | null> {
    return db.klarnaSession.findUnique({ where: { cartId } });
  }

  findBySessionId(db: PrismaTransaction, sessionId: string): Promise<KlarnaSession | null> {
    return db.klarnaSession.findUnique({ where: { sessionId } });
  }

  /** One row per cart: a replacing session takes over the cart's mapping. */
  saveNew(db: PrismaTransaction, session: NewSession): Promise<KlarnaSession> {
    return db.klarnaSession.upsert({
      where: { cartId: session.cartId },
      create: session,
      update: { ...session, status: 'active', lastSyncError: Prisma.DbNull },
    });
  }

  async markSynced(
    db: PrismaTransaction,
    id: string,
    version: number,
    payloadHash: string,
    correlationId: string | null,
  ): Promise<void> {
    await db.$executeRaw`
      UPDATE klarna_session
      SET synced_version = ${version}, synced_payload_hash = ${payloadHash}, last_sync_error = NULL,
          last_correlation_id = COALESCE(${correlationId}, last_correlation_id), updated_at = now()
      WHERE id = ${id}::uuid`;
  }

  async recordSyncError(db: PrismaTransaction, id: string, error: SyncError): Promise<void> {
    await db.$executeRaw`
      UPDATE klarna_session
      SET last_sync_error = ${JSON.stringify(error)}::jsonb,
          last_correlation_id = COALESCE(${error.correlationId}, last_correlation_id), updated_at = now()
      WHERE id = ${id}::uuid`;
  }

  async markCompleted(db: PrismaTransaction, id: string): Promise<void> {
    await db.klarnaSession.update({ where: { id }, data: { status: 'completed' } });
  }

  /**
   * Marks the cart's active authorizations stale (the cart changed after them). Returns how many, and the
   * status the newest authorization had before, in one round trip.
   */
  async staleActiveAuthorizations(
    db: PrismaTransaction,
    cartId: string,
  ): Promise<{ staled: number; latestStatus: string | null }> {
    const [row] = await db.$queryRaw<{ staled: number; latest_status: string | null }[]>`
      WITH staled AS (
        UPDATE klarna_authorization SET status = 'stale'
        WHERE cart_id = ${cartId}::uuid AND status = 'active' RETURNING id
      )
      SELECT (SELECT count(*) FROM staled)::int AS staled,
             (SELECT status::text FROM klarna_authorization WHERE cart_id = ${cartId}::uuid
              ORDER BY created_at DESC LIMIT 1) AS latest_status`;
    return { staled: row?.staled ?? 0, latestStatus: row?.latest_status ?? null };
  }

  /** A replaced session's authorizations can no longer become orders. */
  async expireAuthorizations(db: PrismaTransaction, cartId: string): Promise<void> {
    await db.$executeRaw`
      UPDATE klarna_authorization SET status = 'expired'
      WHERE cart_id = ${cartId}::uuid AND status IN ('active', 'stale')`;
  }

  latestAuthorization(db: PrismaTransaction, cartId: string): Promise<KlarnaAuthorization | null> {
    return db.klarnaAuthorization.findFirst({ where: { cartId }, orderBy: { createdAt: 'desc' } });
  }

  findAuthorization(db: PrismaTransaction, authorizationToken: string): Promise<KlarnaAuthorization | null> {
    return db.klarnaAuthorization.findUnique({ where: { authorizationToken } });
  }

  findAuthorizationById(db: PrismaTransaction, id: string): Promise<KlarnaAuthorization | null> {
    return db.klarnaAuthorization.findUnique({ where: { id } });
  }

  latestActiveAuthorization(db: PrismaTransaction, cartId: string): Promise<KlarnaAuthorization | null> {
    return db.klarnaAuthorization.findFirst({ where: { cartId, status: 'active' }, orderBy: { createdAt: 'desc' } });
  }

  /** A newer authorization replaces the older ones (Klarna: use the new token). */
  async supersedeActiveAuthorizations(db: PrismaTransaction, cartId: string): Promise<void> {
    await db.klarnaAuthorization.updateMany({ where: { cartId, status: 'active' }, data: { status: 'stale' } });
  }

  createAuthorization(
    db: PrismaTransaction,
    authorization: Pick<
      KlarnaAuthorization,
      'cartId' | 'klarnaSessionId' | 'authorizationToken' | 'cartVersion' | 'source' | 'heldForReview' | 'expiresAt'
    >,
  ): Promise<KlarnaAuthorization> {
    return db.klarnaAuthorization.create({ data: authorization });
  }

  updateAuthorization(
    db: PrismaTransaction,
    id: string,
    changes: Partial<Pick<KlarnaAuthorization, 'status' | 'heldForReview'>>,
  ): Promise<KlarnaAuthorization> {
    return db.klarnaAuthorization.update({ where: { id }, data: changes });
  }

  async saveCustomerToken(
    db: PrismaTransaction,
    token: { cartId: string; tokenId: string; intendedUse: string; description: string },
  ): Promise<void> {
    await db.customerToken.create({ data: token });
  }
}
