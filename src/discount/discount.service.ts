import { Injectable, Logger } from '@nestjs/common';
import { NotFoundError, TooManyAttemptsError, ValidationFailedError } from '../common/errors.js';
import type { MoneyAmount } from '../common/money.js';
import { PrismaService, type PrismaTransaction } from '../database/prisma.service.js';
import type { Db } from '../database/sql.js';
import { DiscountAttempts } from './discount-attempts.js';
import { codeKey, type DiscountCodeInput, type DiscountCodeRecord } from './discount-rules.js';
import { DiscountRepository, type RedemptionRecord } from './discount.repository.js';
import type { PutDiscountCodeDto } from './dto/discount-code.dto.js';

/** Issue 13: at most 10 failed code attempts per cart per 10 minutes. */
const MAX_FAILED_ATTEMPTS = 10;
const ATTEMPT_WINDOW_MS = 10 * 60 * 1000;

/** GET /discount-codes/:code: the rules and every redemption. */
export interface DiscountCodeView extends Omit<DiscountCodeRecord, 'validFrom' | 'validUntil'> {
  validFrom: string | null;
  validUntil: string | null;
  /** Uses left; null: unlimited. */
  remainingRedemptions: number | null;
  redemptions: (Omit<RedemptionRecord, 'createdAt' | 'releasedAt'> & {
    createdAt: string;
    releasedAt: string | null;
  })[];
}

/**
 * Discount codes: ops manage them; a cart applies one (its lines are priced in the cart module); an order redeems
 * it exactly once, in the transaction that creates the order row, and a placement that fails gives the use back.
 */
@Injectable()
export class DiscountService {
  private readonly logger = new Logger(DiscountService.name);
  private readonly attempts = new DiscountAttempts(MAX_FAILED_ATTEMPTS, ATTEMPT_WINDOW_MS);

  constructor(
    private readonly prisma: PrismaService,
    private readonly codes: DiscountRepository,
  ) {}

  async putCode(code: string, dto: PutDiscountCodeDto): Promise<{ created: boolean; code: DiscountCodeView }> {
    if (dto.validFrom && dto.validUntil && new Date(dto.validUntil) <= new Date(dto.validFrom)) {
      throw new ValidationFailedError([{ field: 'validUntil', message: 'must be after validFrom' }]);
    }
    const created = await this.prisma.$transaction(async (tx) => {
      const existing = await this.codes.find(tx, codeKey(code));
      if (existing && dto.maxRedemptions !== undefined && dto.maxRedemptions < existing.redeemedCount) {
        throw new ValidationFailedError([
          { field: 'maxRedemptions', message: `must not be below the ${existing.redeemedCount} uses already redeemed` },
        ]);
      }
      return this.codes.put(tx, codeKey(code), code, inputOf(dto));
    });
    return { created, code: await this.getCode(code) };
  }

  async getCode(code: string): Promise<DiscountCodeView> {
    const key = codeKey(code);
    const record = await this.codes.find(this.prisma, key);
    if (!record) throw new NotFoundError('DISCOUNT_CODE_NOT_FOUND', `Discount code ${code} does not exist`);
    const redemptions = await this.codes.redemptions(this.prisma, key);
    return {
      ...record,
      validFrom: record.validFrom?.toISOString() ?? null,
      validUntil: record.validUntil?.toISOString() ?? null,
      remainingRedemptions:
        record.maxRedemptions === null ? null : Math.max(0, record.maxRedemptions - record.redeemedCount),
      redemptions: redemptions.map((redemption) => ({
        ...redemption,
        createdAt: redemption.createdAt.toISOString(),
        releasedAt: redemption.releasedAt?.toISOString() ?? null,
      })),
    };
  }

  /** The code as the cart prices it (matched case-insensitively); null when there is none. */
  find(db: Db, code: string): Promise<DiscountCodeRecord | null> {
    return this.codes.find(db, codeKey(code));
  }

  /** Throws TOO_MANY_ATTEMPTS while the cart has used up its failed attempts. */
  assertAttemptsLeft(cartId: string): void {
    const retryAfter = this.attempts.retryAfter(cartId, Date.now());
    if (retryAfter !== undefined) throw new TooManyAttemptsError(retryAfter);
  }

  recordFailedAttempt(cartId: string): void {
    this.attempts.recordFailure(cartId, Date.now());
  }

  /**
   * In the transaction that creates the order row: takes one use of the code, or answers false when none is left
   * (the last one was taken meanwhile). `record` then writes the redemption row once the order row exists.
   */
  async takeUse(tx: Db, code: string): Promise<boolean> {
    return this.codes.takeUse(tx, codeKey(code));
  }

  async recordRedemption(
    tx: Db,
    redemption: { code: string; orderId: string; cartId: string; amount: number; currency: string },
  ): Promise<void> {
    await this.codes.recordRedemption(tx, { ...redemption, key: codeKey(redemption.code) });
    this.logger.log({ event: 'discount.redeemed', orderId: redemption.orderId, cartId: redemption.cartId });
  }

  /** A placement that ended `failed` gives its use back (the redemption row stays, `released`). */
  async releaseForFailedOrder(tx: PrismaTransaction, orderId: string): Promise<void> {
    if (await this.codes.release(tx, orderId)) this.logger.log({ event: 'discount.released', orderId });
  }

  /** Development demo data: writes the codes only when there are none. */
  async seedIfEmpty(codes: readonly (DiscountCodeInput & { code: string })[]): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`LOCK TABLE discount_code IN SHARE ROW EXCLUSIVE MODE`;
      if (!(await this.codes.isEmpty(tx))) return 0;
      for (const { code, ...input } of codes) await this.codes.put(tx, codeKey(code), code, input);
      return codes.length;
    });
  }
}

function amounts(list: readonly MoneyAmount[] | undefined): MoneyAmount[] {
  return (list ?? []).map(({ currency, amount }) => ({ currency, amount }));
}

export function inputOf(dto: PutDiscountCodeDto): DiscountCodeInput {
  return {
    kind: dto.kind,
    percent: dto.kind === 'percent' ? (dto.percent ?? null) : null,
    amounts: amounts(dto.amounts),
    minOrder: amounts(dto.minOrder),
    appliesTo: dto.appliesTo,
    validFrom: dto.validFrom ? new Date(dto.validFrom) : null,
    validUntil: dto.validUntil ? new Date(dto.validUntil) : null,
    maxRedemptions: dto.maxRedemptions ?? null,
    active: dto.active,
  };
}
