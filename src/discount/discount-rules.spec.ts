import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { codeKey, discountAmount, refusalOf, splitByRate, type DiscountCodeRecord } from './discount-rules.js';

const aCode = (overrides: Partial<DiscountCodeRecord> = {}): DiscountCodeRecord => ({
  code: 'WELCOME10',
  kind: 'percent',
  percent: 1000,
  amounts: [],
  minOrder: [],
  appliesTo: 'items',
  validFrom: null,
  validUntil: null,
  maxRedemptions: null,
  redeemedCount: 0,
  active: true,
  ...overrides,
});
const NOW = new Date('2026-12-01T12:00:00Z');
const SEK = { currency: 'SEK', itemsAmount: 10_000 };

describe('refusalOf', () => {
  it('accepts a live code', () => {
    expect(refusalOf(aCode(), SEK, NOW)).toBeUndefined();
  });

  it('answers unknown for a missing or switched-off code alike', () => {
    expect(refusalOf(null, SEK, NOW)).toBe('unknown');
    expect(refusalOf(aCode({ active: false }), SEK, NOW)).toBe('unknown');
  });

  it('honours the validity window: from inclusive, until exclusive', () => {
    expect(refusalOf(aCode({ validFrom: new Date(NOW.getTime() + 1) }), SEK, NOW)).toBe('not_started');
    expect(refusalOf(aCode({ validFrom: NOW }), SEK, NOW)).toBeUndefined();
    expect(refusalOf(aCode({ validUntil: NOW }), SEK, NOW)).toBe('expired');
    expect(refusalOf(aCode({ validUntil: new Date(NOW.getTime() + 1) }), SEK, NOW)).toBeUndefined();
  });

  it('refuses a code whose uses are all taken', () => {
    expect(refusalOf(aCode({ maxRedemptions: 5, redeemedCount: 5 }), SEK, NOW)).toBe('exhausted');
    expect(refusalOf(aCode({ maxRedemptions: 5, redeemedCount: 4 }), SEK, NOW)).toBeUndefined();
  });

  it('needs a fixed amount in the cart’s currency, and the minimum of that currency', () => {
    const fixed = aCode({ kind: 'fixed', percent: null, amounts: [{ currency: 'EUR', amount: 500 }] });
    expect(refusalOf(fixed, SEK, NOW)).toBe('currency');
    const minimum = aCode({ minOrder: [{ currency: 'SEK', amount: 10_001 }] });
    expect(refusalOf(minimum, SEK, NOW)).toBe('min_order');
    expect(refusalOf(minimum, { currency: 'SEK', itemsAmount: 10_001 }, NOW)).toBeUndefined();
    expect(refusalOf(minimum, { currency: 'EUR', itemsAmount: 1 }, NOW)).toBeUndefined();
  });

  it('matches codes case-insensitively', () => {
    expect(codeKey(' Welcome10')).toBe(codeKey('WELCOME10'));
  });
});

describe('discountAmount', () => {
  it('rounds a percentage down and caps a fixed amount at what it reduces', () => {
    expect(discountAmount(aCode({ percent: 1500 }), 'SEK', 19_134)).toBe(2870);
    const fixed = aCode({ kind: 'fixed', percent: null, amounts: [{ currency: 'SEK', amount: 5000 }] });
    expect(discountAmount(fixed, 'SEK', 12_000)).toBe(5000);
    expect(discountAmount(fixed, 'SEK', 3000)).toBe(3000);
    expect(discountAmount(fixed, 'SEK', 0)).toBe(0);
  });
});

describe('splitByRate', () => {
  it('splits in proportion to each rate’s share, by largest remainder', () => {
    expect(
      splitByRate(2870, [
        { totalAmount: 12_345, rate: 2500 },
        { totalAmount: 6789, rate: 600 },
      ]),
    ).toEqual([
      { rate: 600, amount: 1018 },
      { rate: 2500, amount: 1852 },
    ]);
  });

  it('groups lines of one rate into one part', () => {
    expect(
      splitByRate(300, [
        { totalAmount: 1000, rate: 2500 },
        { totalAmount: 2000, rate: 2500 },
      ]),
    ).toEqual([{ rate: 2500, amount: 300 }]);
  });

  it('sums exactly and never takes more off a rate than its lines are worth', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            totalAmount: fc.integer({ min: 0, max: 100_000_000 }),
            rate: fc.constantFrom(0, 600, 1200, 2500),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (lines, share) => {
          const base = lines.reduce((sum, line) => sum + line.totalAmount, 0);
          const amount = Math.floor(base * share);
          const parts = splitByRate(amount, lines);
          expect(parts.reduce((sum, part) => sum + part.amount, 0)).toBe(base === 0 ? 0 : amount);
          for (const part of parts) {
            const rateBase = lines
              .filter((line) => line.rate === part.rate)
              .reduce((sum, line) => sum + line.totalAmount, 0);
            expect(part.amount).toBeGreaterThan(0);
            expect(part.amount).toBeLessThanOrEqual(rateBase);
          }
        },
      ),
    );
  });
});
