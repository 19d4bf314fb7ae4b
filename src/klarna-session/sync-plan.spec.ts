import { describe, expect, it } from '@jest/globals';
import { planSync, type CartSnapshot, type SessionSnapshot } from './sync-plan.js';

const now = new Date('2026-11-23T12:00:00Z');
const session = (overrides: Partial<SessionSnapshot> = {}): SessionSnapshot => ({
  status: 'active',
  expiresAt: new Date('2026-11-24T12:00:00Z'),
  purchaseCountry: 'SE',
  purchaseCurrency: 'SEK',
  syncedPayloadHash: 'abc',
  pushOutcomeUnknown: false,
  ...overrides,
});
const cart = (overrides: Partial<CartSnapshot> = {}): CartSnapshot => ({
  purchaseCountry: 'SE',
  purchaseCurrency: 'SEK',
  lineCount: 2,
  payloadHash: 'def',
  ...overrides,
});

describe('planSync', () => {
  it('touches only Postgres while there is no session', () => {
    expect(planSync(null, cart(), now)).toEqual({ kind: 'no_session' });
  });

  it('pushes a changed payload to a live session', () => {
    expect(planSync(session(), cart(), now)).toEqual({ kind: 'update' });
  });

  it('pushes an identical payload again while an earlier push has an unknown outcome', () => {
    expect(planSync(session({ syncedPayloadHash: 'def', pushOutcomeUnknown: true }), cart(), now)).toEqual({
      kind: 'update',
    });
  });

  it('replaces a session a newer one already replaced', () => {
    expect(planSync(session({ status: 'replaced' }), cart(), now)).toEqual({ kind: 'recreate', reason: 'expired' });
  });

  it('sends nothing when the payload Klarna would receive is identical', () => {
    expect(planSync(session(), cart({ payloadHash: 'abc' }), now)).toEqual({ kind: 'unchanged' });
  });

  it('creates a new session after 48 hours', () => {
    expect(planSync(session({ expiresAt: now }), cart(), now)).toEqual({ kind: 'recreate', reason: 'expired' });
  });

  it('creates a new session when country or currency change', () => {
    expect(planSync(session(), cart({ purchaseCountry: 'NO', purchaseCurrency: 'NOK' }), now)).toEqual({
      kind: 'recreate',
      reason: 'market_changed',
    });
  });

  it('holds the push while the cart is empty (Klarna needs at least one line)', () => {
    expect(planSync(session(), cart({ lineCount: 0 }), now)).toEqual({ kind: 'hold', reason: 'cart_empty' });
  });
});

describe('planSync: when the session must be replaced', () => {
  it('recreates a completed session (an order closed it), even with the same payload', () => {
    expect(planSync(session({ status: 'completed' }), cart({ payloadHash: 'abc' }), now)).toEqual({
      kind: 'recreate',
      reason: 'completed',
    });
  });

  it.each([
    ['country', { purchaseCountry: 'NO' }],
    ['currency', { purchaseCurrency: 'EUR' }],
  ])('recreates the session when the %s changes (Klarna refuses that update)', (_what, market) => {
    expect(planSync(session(), cart({ ...market, payloadHash: 'abc' }), now)).toEqual({
      kind: 'recreate',
      reason: 'market_changed',
    });
  });
});
