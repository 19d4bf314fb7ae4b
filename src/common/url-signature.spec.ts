import { describe, expect, it } from '@jest/globals';
import { signScope, verifyScope, webhookScope, webhookUrl } from './url-signature.js';

const SECRET = 'a-webhook-secret-that-is-long-enough';

describe('webhook URL signatures', () => {
  it('accepts only the signature of the same scope under the same secret', () => {
    const signature = signScope(SECRET, webhookScope('push', 'cart-a'));
    expect(verifyScope(SECRET, webhookScope('push', 'cart-a'), signature)).toBe(true);
    expect(verifyScope(SECRET, webhookScope('push', 'cart-b'), signature)).toBe(false);
    expect(verifyScope(SECRET, webhookScope('notification', 'cart-a'), signature)).toBe(false);
    expect(verifyScope(`${SECRET}!`, webhookScope('push', 'cart-a'), signature)).toBe(false);
  });

  it('refuses a missing, empty, non-string or truncated signature', () => {
    const scope = webhookScope('authorization', 'cart-a');
    const signature = signScope(SECRET, scope);
    for (const given of [undefined, '', 42, [signature], signature.slice(0, -1), `${signature}x`]) {
      expect(verifyScope(SECRET, scope, given)).toBe(false);
    }
  });

  it('is HMAC-SHA256 of the scope, base64url', () => {
    expect(signScope('key', 'push|cart')).toBe('KSt0OGHSaImBaMhbMRtcmJT4zZa905bLjgLfixAUvdU');
    expect(webhookScope('notification', 'c1')).toBe('notification|c1');
  });

  it('builds each purpose’s path with the cart, its signature and Klarna’s placeholders unencoded', () => {
    const url = webhookUrl('https://shop.example.com', SECRET, 'push', 'cart-a', '&order_id={order.id}');
    const signature = signScope(SECRET, webhookScope('push', 'cart-a'));
    expect(url).toBe(
      `https://shop.example.com/webhooks/klarna/push?cart_id=cart-a&sig=${signature}&order_id={order.id}`,
    );
    expect(webhookUrl('https://x', SECRET, 'authorization', 'c')).toMatch(
      /^https:\/\/x\/webhooks\/klarna\/authorization\?cart_id=c&sig=/,
    );
    const notificationSignature = signScope(SECRET, webhookScope('notification', 'c'));
    expect(webhookUrl('https://x', SECRET, 'notification', 'c')).toBe(
      `https://x/webhooks/klarna/notification?cart_id=c&sig=${notificationSignature}`,
    );
  });
});
