import { createHash } from 'node:crypto';
import { uuidText } from './uuid.js';

/**
 * A stable Klarna-Idempotency-Key for a call we may have to repeat, named by what the call is for (for example a
 * cart, its version and the session it replaces): every attempt at the same thing, from the request or from a
 * retry job, sends the same key, so Klarna executes it once. Klarna suggests a UUID (its retry policy page a
 * name-based v5): this is one in form, from SHA-256 of the parts.
 */
export function idempotencyKeyFor(...parts: string[]): string {
  return uuidText(createHash('sha256').update(parts.join('\u001f')).digest(), 5);
}
