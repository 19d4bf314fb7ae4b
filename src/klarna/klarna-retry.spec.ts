import { describe, expect, it } from '@jest/globals';
import { KlarnaApiError } from './klarna-api.error.js';
import { withKlarnaRetries } from './klarna-retry.js';

const failure = (status: number | undefined) =>
  new KlarnaApiError('createOrder', status, 'X', [], undefined, status === undefined ? 'timeout' : 'http');

describe('withKlarnaRetries', () => {
  it('repeats a transient failure up to the attempts, reporting each, then gives the answer', async () => {
    const answers = [failure(undefined), failure(503), 'order'];
    const seen: (number | undefined)[] = [];
    const result = await withKlarnaRetries(
      async () => {
        const next = answers.shift();
        if (next instanceof KlarnaApiError) throw next;
        return next;
      },
      { attempts: 3, backoffMs: 1 },
      (error) => {
        seen.push(error.status);
      },
    );
    expect(result).toBe('order');
    expect(seen).toEqual([undefined, 503]);
  });

  it('throws the last transient failure once the attempts are used up', async () => {
    let calls = 0;
    await expect(
      withKlarnaRetries(
        async () => {
          calls += 1;
          throw failure(500);
        },
        { attempts: 2, backoffMs: 1 },
      ),
    ).rejects.toMatchObject({ status: 500 });
    expect(calls).toBe(2);
  });

  it('never repeats a refusal', async () => {
    let calls = 0;
    await expect(
      withKlarnaRetries(
        async () => {
          calls += 1;
          throw failure(403);
        },
        { attempts: 5, backoffMs: 1 },
      ),
    ).rejects.toMatchObject({ status: 403 });
    expect(calls).toBe(1);
  });
});
