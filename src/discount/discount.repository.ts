import { Injectable } from '@nestjs/common';
import type { PrismaTransaction } from '../database/prisma.service.js';
import { Prisma } from '../generated/prisma/client.js';
import { rowsOf, type Db } from '../database/sql.js';
import type { MoneyAmount } from '../common/money.js';
import type { DiscountCodeInput, DiscountCodeRecord } from './discount-rules.js';

export interface RedemptionRecord {
  orderId: string;
  cartId: string;
  amount: number;
  currency: string;
  status: 'redeemed' | 'released';
  createdAt: Date;
  releasedAt: Date | null;
}

type CodeRow = Omit<Prisma.DiscountCodeGetPayload<object>, 'codeKey' | 'createdAt' | 'updatedAt'>;

const toCode = (row: CodeRow): DiscountCodeRecord => ({
  code: row.code,
  kind: row.kind as DiscountCodeRecord['kind'],
  percent: row.percent,
  amounts: row.amounts as unknown as MoneyAmount[],
  minOrder: row.minOrder as unknown as MoneyAmount[],
  appliesTo: row.appliesTo as DiscountCodeRecord['appliesTo'],
  validFrom: row.validFrom,
  validUntil: row.validUntil,
  maxRedemptions: row.maxRedemptions,
  redeemedCount: row.redeemedCount,
  active: row.active,
});

/** The only code that touches discount_code and discount_redemption. */
@Injectable()
export class DiscountRepository {
  /** Creates or replaces the code's rules (its count of uses stays); true when it is new. */
  async put(db: PrismaTransaction, key: string, code: string, input: DiscountCodeInput): Promise<boolean> {
    const data = {
      ...input,
      code,
      amounts: input.amounts as unknown as Prisma.InputJsonValue,
      minOrder: input.minOrder as unknown as Prisma.InputJsonValue,
    };
    const existed = await db.discountCode.findUnique({ where: { codeKey: key }, select: { codeKey: true } });
    await db.discountCode.upsert({ where: { codeKey: key }, create: { codeKey: key, ...data }, update: data });
    return !existed;
  }

  async find(db: Db, key: string): Promise<DiscountCodeRecord | null> {
    const [row] = await rowsOf<CodeRow>(
      db,
      Prisma.sql`
      SELECT code, kind, percent, amounts, min_order AS "minOrder", applies_to AS "appliesTo",
             valid_from AS "validFrom", valid_until AS "validUntil", max_redemptions AS "maxRedemptions",
             redeemed_count AS "redeemedCount", active
      FROM discount_code WHERE code_key = ${key}`,
    );
    return row ? toCode(row) : null;
  }

  async isEmpty(db: PrismaTransaction): Promise<boolean> {
    return (await db.discountCode.count()) === 0;
  }

  /**
   * Takes one use, if one is left. The row lock of this UPDATE orders concurrent placements; a waiting one
   * re-reads the row after the first commits (READ COMMITTED), so two cannot take the last use.
   */
  async takeUse(db: Db, key: string): Promise<boolean> {
    const taken = await rowsOf(
      db,
      Prisma.sql`
      UPDATE discount_code SET redeemed_count = redeemed_count + 1, updated_at = now()
      WHERE code_key = ${key} AND active AND (max_redemptions IS NULL OR redeemed_count < max_redemptions)
      RETURNING 1`,
    );
    return taken.length === 1;
  }

  async recordRedemption(
    db: Db,
    redemption: { key: string; orderId: string; cartId: string; amount: number; currency: string },
  ): Promise<void> {
    await rowsOf(
      db,
      Prisma.sql`
      INSERT INTO discount_redemption (id, code_key, order_id, cart_id, amount, currency)
      VALUES (gen_random_uuid(), ${redemption.key}, ${redemption.orderId}::uuid, ${redemption.cartId}::uuid,
              ${redemption.amount}, ${redemption.currency})`,
    );
  }

  /** The order's redemption moves to `released` and its use is given back; false when it had none to release. */
  async release(tx: PrismaTransaction, orderId: string): Promise<boolean> {
    const released = await tx.$queryRaw<{ code_key: string }[]>`
      UPDATE discount_redemption SET status = 'released', released_at = now()
      WHERE order_id = ${orderId}::uuid AND status = 'redeemed'
      RETURNING code_key`;
    if (released.length === 0) return false;
    await tx.$executeRaw`
      UPDATE discount_code SET redeemed_count = redeemed_count - 1, updated_at = now()
      WHERE code_key = ${released[0].code_key}`;
    return true;
  }

  async redemptions(db: PrismaTransaction, key: string): Promise<RedemptionRecord[]> {
    const rows = await db.discountRedemption.findMany({ where: { codeKey: key }, orderBy: { createdAt: 'asc' } });
    return rows.map((row) => ({
      orderId: row.orderId,
      cartId: row.cartId,
      amount: row.amount,
      currency: row.currency,
      status: row.status as RedemptionRecord['status'],
      createdAt: row.createdAt,
      releasedAt: row.releasedAt,
    }));
  }
}
