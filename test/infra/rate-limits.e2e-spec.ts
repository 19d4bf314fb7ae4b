import { afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createCartWithSession } from '../factories/cart.factory.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('rate limits', () => {
  let service: TestApp | undefined;
  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  it('answers 429 RATE_LIMITED with Retry-After once a client IP spends its limit, writing nothing', async () => {
    service = await startTestApp({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' });
    const { http } = service;
    const statuses = [];
    for (let attempt = 0; attempt < 3; attempt++) statuses.push((await http.get(`/carts/${randomUUID()}`)).status);
    expect(statuses).toEqual([404, 404, 404]);

    const { rows: before } = await service.database.query<{ count: string }>('SELECT count(*) FROM cart');
    const refused = await http.post('/carts', { purchaseCountry: 'SE', purchaseCurrency: 'SEK', locale: 'sv-SE' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    const { rows: after } = await service.database.query<{ count: string }>('SELECT count(*) FROM cart');
    expect(after[0].count).toBe(before[0].count);
  });

  it('never limits health checks and metrics, and keeps Klarna callbacks in a bucket of their own', async () => {
    service = await startTestApp({ RATE_LIMIT_MAX: '2', RATE_LIMIT_WEBHOOK_MAX: '2' });
    const { http } = service;
    await http.get(`/carts/${randomUUID()}`);
    await http.get(`/carts/${randomUUID()}`);
    expect((await http.get(`/carts/${randomUUID()}`)).status).toBe(429);
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await http.get('/health/ready')).status).toBe(200);
      expect((await http.get('/health/live')).status).toBe(200);
      expect((await fetch(`${service.url}/metrics`)).status).toBe(200);
    }
    // The storefront's bucket is spent; the callbacks' is not (401: signature checked, not rate limited).
    const callback = `/webhooks/klarna/push?cart_id=${randomUUID()}&sig=forged&order_id=x`;
    expect((await http.post(callback)).status).toBe(401);
    expect((await http.post(callback)).status).toBe(401);
    expect((await http.post(callback)).status).toBe(429);
  });

  it('honours X-Forwarded-For only with TRUST_PROXY', async () => {
    service = await startTestApp({ RATE_LIMIT_MAX: '1' });
    const asClient = (ip: string) => service!.http.get(`/carts/${randomUUID()}`, { 'x-forwarded-for': ip });
    expect((await asClient('203.0.113.1')).status).toBe(404);
    // Without TRUST_PROXY the header is the client's word: both requests come from 127.0.0.1.
    expect((await asClient('203.0.113.2')).status).toBe(429);
    await service.close();

    service = await startTestApp({ RATE_LIMIT_MAX: '1', TRUST_PROXY: 'true' });
    expect((await asClient('203.0.113.1')).status).toBe(404);
    expect((await asClient('203.0.113.2')).status).toBe(404);
    expect((await asClient('203.0.113.1')).status).toBe(429);
  });

  it('limits Klarna session requests per cart, whatever the client address', async () => {
    service = await startTestApp({ RATE_LIMIT_SESSION_MAX: '2', TRUST_PROXY: 'true' });
    const { http } = service;
    const { cart } = await createCartWithSession(http);
    const { cart: other } = await createCartWithSession(http);
    // createCartWithSession spent one of the two per cart.
    expect(
      (await http.post(`/carts/${cart.id}/klarna-session`, undefined, { 'x-forwarded-for': '198.51.100.7' })).status,
    ).toBe(200);
    const refused = await http.post(`/carts/${cart.id}/klarna-session`, undefined, {
      'x-forwarded-for': '198.51.100.8',
    });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused.headers.get('retry-after')).not.toBeNull();
    expect((await http.post(`/carts/${other.id}/klarna-session`)).status).toBe(200);
    // Reading the cart is not session creation.
    expect((await http.get(`/carts/${cart.id}`)).status).toBe(200);
    expect(await service.klarnaCalls('createSession')).toHaveLength(2);
  });
});
