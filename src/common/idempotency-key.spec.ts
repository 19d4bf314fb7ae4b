import { describe, expect, it } from '@jest/globals';
import { idempotencyKeyFor } from './idempotency-key.js';

describe('idempotencyKeyFor', () => {
  it('gives every attempt at the same thing the same UUID-shaped key', () => {
    const key = idempotencyKeyFor('session', 'cart-1', '7', '-', 'buy');
    expect(key).toBe(idempotencyKeyFor('session', 'cart-1', '7', '-', 'buy'));
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('keeps the keys earlier releases sent: a retry after a deploy must reach Klarna with the same key', () => {
    expect(idempotencyKeyFor('session', 'cart-1', '7', '-', 'buy')).toBe('b34ddefc-240f-5c1b-80ce-5dabcbb72fbe');
  });

  it('gives different things different keys, also when the parts only move between fields', () => {
    expect(idempotencyKeyFor('session', 'cart-1', '7')).not.toBe(idempotencyKeyFor('session', 'cart-1', '8'));
    expect(idempotencyKeyFor('ab', 'c')).not.toBe(idempotencyKeyFor('a', 'bc'));
  });
});
