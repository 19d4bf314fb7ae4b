import { setTimeout as sleep } from 'node:timers/promises';
import { KlarnaApiError } from './klarna-api.error.js';

/**
 * Calls Klarna up to `attempts` times while the failure is transient (no answer, 5xx, 429, an unreadable 2xx),
 * waiting `backoffMs × 2^n` between attempts. The call must be safe to repeat: a read, or a write carrying the
 * same Klarna-Idempotency-Key every time. The last failure is thrown.
 */
export async function withKlarnaRetries<T>(
  call: () => Promise<T>,
  { attempts, backoffMs }: { attempts: number; backoffMs: number },
  onTransientFailure?: (error: KlarnaApiError) => void | Promise<void>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof KlarnaApiError) || !error.isTransient) throw error;
      await onTransientFailure?.(error);
      if (attempt >= attempts) throw error;
      await sleep(backoffMs * 2 ** (attempt - 1));
    }
  }
}
