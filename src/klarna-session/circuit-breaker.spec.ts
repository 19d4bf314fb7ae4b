import { describe, expect, it } from '@jest/globals';
import { CircuitBreaker } from './circuit-breaker.js';

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures, for the cool-down', () => {
    let now = 1000;
    const breaker = new CircuitBreaker(3, 5000, () => now);
    expect(breaker.recordFailure()).toBe(false);
    expect(breaker.recordFailure()).toBe(false);
    expect(breaker.remainingOpenMs()).toBe(0);
    expect(breaker.recordFailure()).toBe(true);
    expect(breaker.remainingOpenMs()).toBe(5000);
    now += 4999;
    expect(breaker.remainingOpenMs()).toBe(1);
    now += 1;
    expect(breaker.remainingOpenMs()).toBe(0);
  });

  it('a success in between resets the count', () => {
    const breaker = new CircuitBreaker(2, 5000, () => 0);
    breaker.recordFailure();
    breaker.recordSuccess();
    expect(breaker.recordFailure()).toBe(false);
    expect(breaker.remainingOpenMs()).toBe(0);
  });
});
