import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Klarna does not sign its callbacks, so every merchant URL we hand Klarna carries an HMAC of what it may
 * act on (Klarna's advice for the authorization callback: a secret token in the URL, checked on receipt).
 */
export function signScope(secret: string, scope: string): string {
  return createHmac('sha256', secret).update(scope).digest('base64url');
}

export function verifyScope(secret: string, scope: string, signature: unknown): boolean {
  if (typeof signature !== 'string' || signature.length === 0) return false;
  const expected = Buffer.from(signScope(secret, scope));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The scope a cart's webhook URL is valid for: one purpose, one cart. */
export function webhookScope(purpose: 'authorization' | 'push' | 'notification', cartId: string): string {
  return `${purpose}|${cartId}`;
}

const WEBHOOK_PATHS = {
  authorization: '/webhooks/klarna/authorization',
  push: '/webhooks/klarna/push',
  notification: '/webhooks/klarna/notification',
} as const;

/**
 * A merchant URL for Klarna, e.g. `<base>/webhooks/klarna/push?cart_id=…&sig=…&order_id={order.id}`.
 * `placeholders` are appended unencoded so Klarna can substitute them ({order.id}, {session.id}).
 */
export function webhookUrl(
  publicBaseUrl: string,
  secret: string,
  purpose: keyof typeof WEBHOOK_PATHS,
  cartId: string,
  placeholders = '',
): string {
  const query = new URLSearchParams({ cart_id: cartId, sig: signScope(secret, webhookScope(purpose, cartId)) });
  return `${publicBaseUrl}${WEBHOOK_PATHS[purpose]}?${query.toString()}${placeholders}`;
}
