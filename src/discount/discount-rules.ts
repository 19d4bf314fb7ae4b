import type { MoneyAmount } from '../common/money.js';
import { amountIn } from '../common/money.js';

export const DISCOUNT_KINDS = ['percent', 'fixed'] as const;
export const DISCOUNT_SCOPES = ['items', 'items_and_shipping'] as const;

/** A discount code as ops keep it (PUT /discount-codes/:code). */
export interface DiscountCodeInput {
  kind: (typeof DISCOUNT_KINDS)[number];
  /** Basis points (1000 = 10 %), for `percent`. */
  percent: number | null;
  /** Per currency, for `fixed`. */
  amounts: MoneyAmount[];
  /** The items must be worth at least this (per currency; a currency not listed has no minimum). */
  minOrder: MoneyAmount[];
  appliesTo: (typeof DISCOUNT_SCOPES)[number];
  validFrom: Date | null;
  validUntil: Date | null;
  /** Null: unlimited. */
  maxRedemptions: number | null;
  active: boolean;
}

export interface DiscountCodeRecord extends DiscountCodeInput {
  /** As ops wrote it; matched case-insensitively. */
  code: string;
  redeemedCount: number;
}

/** Why a code does not apply (422 DISCOUNT_CODE_INVALID `reason`, and the notice when a cart loses it). */
export type DiscountRefusal = 'unknown' | 'expired' | 'not_started' | 'exhausted' | 'min_order' | 'currency';

/** The key a code is stored and matched under. */
export function codeKey(code: string): string {
  return code.trim().toLowerCase();
}

/**
 * Pure: whether `code` applies to a cart in `currency` whose items are worth `itemsAmount`. An inactive code
 * answers `unknown`, like a missing one, so a guesser learns nothing from switched-off codes.
 */
export function refusalOf(
  code: DiscountCodeRecord | null,
  cart: { currency: string; itemsAmount: number },
  now: Date,
): DiscountRefusal | undefined {
  if (!code || !code.active) return 'unknown';
  if (code.validFrom && now < code.validFrom) return 'not_started';
  if (code.validUntil && now >= code.validUntil) return 'expired';
  if (code.maxRedemptions !== null && code.redeemedCount >= code.maxRedemptions) return 'exhausted';
  if (code.kind === 'fixed' && amountIn(code.amounts, cart.currency) === undefined) return 'currency';
  const minimum = amountIn(code.minOrder, cart.currency);
  if (minimum !== undefined && cart.itemsAmount < minimum) return 'min_order';
  return undefined;
}

/** A line the discount reduces: its total (tax included; US: net) and the rate it is taxed at. */
export interface DiscountableLine {
  totalAmount: number;
  rate: number;
}

/** Pure: the discount on lines worth `base` in all: a share of it (rounded down), or the fixed amount up to it. */
export function discountAmount(code: DiscountCodeRecord, currency: string, base: number): number {
  if (base <= 0) return 0;
  if (code.kind === 'percent') return Math.floor((base * (code.percent ?? 0)) / 10_000);
  return Math.min(amountIn(code.amounts, currency) ?? 0, base);
}

/**
 * Klarna: a discount over lines taxed at different rates is one `discount` line per rate, each with that rate, so
 * every line's tax stays exact (FACTS §4). Pure: splits `amount` over the rates in proportion to what each rate's
 * lines are worth, by largest remainder, so the parts sum to `amount` exactly; rates ascending, none of zero.
 */
export function splitByRate(amount: number, lines: readonly DiscountableLine[]): { rate: number; amount: number }[] {
  const baseByRate = new Map<number, number>();
  for (const line of lines) {
    if (line.totalAmount > 0) baseByRate.set(line.rate, (baseByRate.get(line.rate) ?? 0) + line.totalAmount);
  }
  const total = [...baseByRate.values()].reduce((sum, base) => sum + base, 0);
  if (amount <= 0 || total <= 0) return [];
  const parts = [...baseByRate.entries()]
    .sort(([a], [b]) => a - b)
    .map(([rate, base]) => {
      // amount x base can pass 2^53 (both up to Klarna's 100 000 000): exact in BigInt.
      const exact = BigInt(amount) * BigInt(base);
      return { rate, base, amount: Number(exact / BigInt(total)), remainder: Number(exact % BigInt(total)) };
    });
  let left = amount - parts.reduce((sum, part) => sum + part.amount, 0);
  const byRemainder = [...parts].sort((a, b) => b.remainder - a.remainder || b.base - a.base || a.rate - b.rate);
  for (const part of byRemainder) {
    if (left === 0) break;
    if (part.amount < part.base) {
      part.amount += 1;
      left -= 1;
    }
  }
  return parts.filter((part) => part.amount > 0).map(({ rate, amount: share }) => ({ rate, amount: share }));
}
