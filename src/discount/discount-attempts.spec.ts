import { describe, expect, it } from '@jest/globals';
import { DiscountAttempts } from './discount-attempts.js';

describe('DiscountAttempts', () => {
  it('allows 10 failures per cart in 10 minutes, then says how long to wait', () => {
    const attempts = new DiscountAttempts(10, 600_000);
    for (let index = 0; index < 10; index++) {
      expect(attempts.retryAfter('cart-a', 1000 + index)).toBeUndefined();
      attempts.recordFailure('cart-a', 1000 + index);
    }
    expect(attempts.retryAfter('cart-a', 2000)).toBe(599);
    expect(attempts.retryAfter('cart-b', 2000)).toBeUndefined();
    // The oldest failure leaves the window: one more try.
    expect(attempts.retryAfter('cart-a', 601_001)).toBeUndefined();
  });

  it('forgets the oldest cart beyond the carts it tracks', () => {
    const attempts = new DiscountAttempts(1, 600_000, 2);
    attempts.recordFailure('a', 0);
    attempts.recordFailure('b', 0);
    attempts.recordFailure('c', 0);
    expect(attempts.retryAfter('a', 1)).toBeUndefined();
    expect(attempts.retryAfter('c', 1)).toBe(600);
  });
});
