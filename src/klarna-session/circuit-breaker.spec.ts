import { describe, expect, it } from '@jest/globals';
import { CircuitBreaker, CircuitOpenError } from './circuit-breaker.js';

class Transient extends Error {}

function aBreaker(overrides: { slowCallMs?: number; coolDownMs?: number } = {}): CircuitBreaker {
  return new CircuitBreaker({
    failureRate: 0.5,
    windowMs: 10_000,
    minCalls: 4,
    coolDownMs: overrides.coolDownMs ?? 60_000,
    slowCallMs: overrides.slowCallMs ?? 1000,
    isFailure: (error) => error instanceof Transient,
  });
}

const fail = (): Promise<never> => Promise.reject(new Transient('timeout'));
const answer = (): Promise<string> => Promise.resolve('ok');
const slowAnswer = (ms: number) => () => new Promise<string>((resolve) => setTimeout(() => resolve('late'), ms));

async function outcome(breaker: CircuitBreaker, call: () => Promise<string>): Promise<string> {
  try {
    return await breaker.call(call);
  } catch (error) {
    return error instanceof CircuitOpenError ? 'open' : 'failed';
  }
}

describe('CircuitBreaker', () => {
  it('opens on a failure rate over the window once it saw enough calls, not on a few failures', async () => {
    const breaker = aBreaker();
    expect(await outcome(breaker, fail)).toBe('failed');
    expect(await outcome(breaker, fail)).toBe('failed');
    expect(await outcome(breaker, answer)).toBe('ok');
    // Four calls, three failed: above 50 % with the minimum seen.
    expect(await outcome(breaker, fail)).toBe('failed');
    let called = false;
    expect(
      await outcome(breaker, () => {
        called = true;
        return answer();
      }),
    ).toBe('open');
    expect(called).toBe(false);
  });

  it('stays closed while most calls succeed', async () => {
    const breaker = aBreaker();
    for (let call = 0; call < 12; call++) {
      expect(await outcome(breaker, call % 3 === 0 ? fail : answer)).toBe(call % 3 === 0 ? 'failed' : 'ok');
    }
  });

  it('counts a slow answer as a failure but still returns it', async () => {
    const breaker = aBreaker({ slowCallMs: 20 });
    for (let call = 0; call < 4; call++) expect(await outcome(breaker, slowAnswer(40))).toBe('late');
    expect(await outcome(breaker, answer)).toBe('open');
  });

  it('does not count errors that are not failures (Klarna answering 4xx)', async () => {
    const breaker = aBreaker();
    const refused = () => Promise.reject(new Error('400'));
    for (let call = 0; call < 6; call++) expect(await outcome(breaker, refused)).toBe('failed');
    expect(await outcome(breaker, answer)).toBe('ok');
  });

  it('after the cool-down lets exactly one trial call through and refuses the others meanwhile', async () => {
    const breaker = aBreaker({ coolDownMs: 50 });
    for (let call = 0; call < 4; call++) await outcome(breaker, fail);
    expect(await outcome(breaker, answer)).toBe('open');
    await new Promise((resolve) => setTimeout(resolve, 60));
    let calls = 0;
    const counted = () => {
      calls += 1;
      return slowAnswer(30)();
    };
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => outcome(breaker, counted)));
    expect(calls).toBe(1);
    expect(outcomes.sort()).toEqual(['late', 'open', 'open', 'open']);
    // The trial succeeded: closed again.
    expect(await outcome(breaker, answer)).toBe('ok');
  });
});
