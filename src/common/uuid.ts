import { randomBytes } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. The hot rows (carts, their
 * lines and sessions) are the newest ones: time-ordered keys keep them on the right-hand pages of their indexes,
 * where random keys spread them over the whole tree (bench/README.md, "Time-ordered ids").
 *
 * Written here rather than taken from the `uuid` package: its v7 counts up within a millisecond (RFC 9562's
 * monotonic counter), so one cart's id would tell its neighbour's, and a cart id is the storefront's only handle
 * on a cart (as an order id is on the public receipt). Every bit after the time here is random.
 */
export function uuidV7(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  return uuidText(bytes, 7);
}

/** The first 16 bytes as UUID text, with the version's nibble and RFC 9562's variant bits set (in place). */
export function uuidText(bytes: Buffer, version: number): string {
  bytes[6] = (bytes[6] & 0x0f) | (version << 4);
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
