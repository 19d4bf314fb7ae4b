import { createHash } from 'node:crypto';

/**
 * A stable Klarna-Idempotency-Key for a call we may have to repeat, named by what the call is for (for example a
 * cart, its version and the session it replaces): every attempt at the same thing, from the request or from a
 * retry job, sends the same key, so Klarna executes it once. Klarna suggests a UUID (its retry policy page a
 * name-based v5): this is one in form, from SHA-256 of the parts.
 */
export function idempotencyKeyFor(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u001f')).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
