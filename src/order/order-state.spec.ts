import { describe, expect, it } from '@jest/globals';
import { advanceStatus, amendmentBlocker, isUnresolved, statusFromKlarna } from './order-state.js';

describe('order state', () => {
  it.each([
    [{ status: 'AUTHORIZED', fraudStatus: 'PENDING' }, 'placed'],
    [{ status: 'AUTHORIZED', fraudStatus: 'ACCEPTED' }, 'confirmed'],
    [{ status: 'AUTHORIZED', fraudStatus: 'REJECTED' }, 'cancelled'],
    [{ status: 'AUTHORIZED', fraudStatus: 'STOPPED' }, 'cancelled'],
    [{ status: 'CANCELLED', fraudStatus: 'ACCEPTED' }, 'cancelled'],
    [{ status: 'EXPIRED', fraudStatus: 'ACCEPTED' }, 'cancelled'],
  ])('reads %j as %s', (klarna, expected) => {
    expect(statusFromKlarna(klarna)).toBe(expected);
  });

  it('only moves forward, and never out of cancelled', () => {
    expect(advanceStatus('placing', 'placed')).toBe('placed');
    expect(advanceStatus('placed', 'confirmed')).toBe('confirmed');
    expect(advanceStatus('confirmed', 'placed')).toBe('confirmed');
    expect(advanceStatus('confirmed', 'cancelled')).toBe('cancelled');
    expect(advanceStatus('cancelled', 'confirmed')).toBe('cancelled');
  });

  it('resolves a placement that needed attention forward, and never reopens a failed one', () => {
    expect(advanceStatus('placing', 'needs_attention')).toBe('needs_attention');
    expect(advanceStatus('needs_attention', 'placed')).toBe('placed');
    expect(advanceStatus('needs_attention', 'placing')).toBe('needs_attention');
    expect(advanceStatus('failed', 'placed')).toBe('failed');
    expect(advanceStatus('failed', 'cancelled')).toBe('failed');
    expect(advanceStatus('cancelled', 'failed')).toBe('cancelled');
  });

  it('keeps a placement unresolved while placing or needing attention, and only then', () => {
    expect(
      (['placing', 'needs_attention', 'placed', 'confirmed', 'cancelled', 'failed'] as const).filter(isUnresolved),
    ).toEqual(['placing', 'needs_attention']);
  });
});

describe('amendmentBlocker', () => {
  const order = { status: 'confirmed' as const, klarnaStatus: 'PART_CAPTURED', capturedAmount: 5000 };
  it('allows an amount at or above the captured amount', () => {
    expect(amendmentBlocker(order, 5000)).toBeUndefined();
    expect(amendmentBlocker({ ...order, klarnaStatus: 'AUTHORIZED', capturedAmount: 0 }, 0)).toBeUndefined();
  });
  it.each([
    [order, 4999, 'below the captured amount'],
    [order, -1, 'must not be negative'],
    [{ ...order, klarnaStatus: 'CAPTURED' }, 10_000, 'fully captured'],
    [{ ...order, klarnaStatus: 'CANCELLED' }, 10_000, 'cancelled at Klarna'],
    [{ ...order, klarnaStatus: 'EXPIRED' }, 10_000, 'expired at Klarna'],
    [{ ...order, klarnaStatus: 'CLOSED' }, 10_000, 'closed at Klarna'],
    [{ ...order, status: 'placing' as const }, 10_000, 'still being placed'],
    [{ ...order, status: 'cancelled' as const }, 10_000, 'the order is cancelled'],
    [{ ...order, status: 'failed' as const }, 10_000, 'the order is failed'],
    [{ ...order, status: 'needs_attention' as const }, 10_000, 'still being placed'],
  ])('refuses %j with %i: %s', (state, amount, reason) => {
    expect(amendmentBlocker(state, amount)).toContain(reason);
  });
});
