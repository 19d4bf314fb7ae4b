import { describe, expect, it } from '@jest/globals';
import { withDeadline } from './deadline.js';

const activeTimers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

describe('withDeadline', () => {
  it('aborts work that outlives the deadline as AbortSignal.timeout does, with a TimeoutError', async () => {
    const hung = withDeadline(
      20,
      (signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    );
    await expect(hung).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('ends its timer with the work, whether it answers or fails', async () => {
    const before = activeTimers();
    await expect(withDeadline(60_000, async () => 'answer')).resolves.toBe('answer');
    await expect(withDeadline(60_000, () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(activeTimers()).toBe(before);
  });

  it('hands the work a signal that is not aborted before the deadline', async () => {
    await expect(withDeadline(60_000, async (signal) => signal.aborted)).resolves.toBe(false);
  });
});
