import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addItem, anItem, createCart } from '../factories/cart.factory.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Raw JSON text, so the body can hold what JSON.stringify would never produce from our side. */
async function postRaw(service: TestApp, path: string, text: string, method = 'POST') {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: text,
  });
  return { status: response.status, body: (await response.json()) as { code: string; errors?: { field: string }[] } };
}

describe('bad input is refused before anything reads it', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp();
  });
  afterAll(() => service.close());

  it('answers a body nested 60 000 levels deep (40 000 for objects, within the body limit) with 400 and keeps serving', async () => {
    const cart = await createCart(service.http);
    for (const text of [
      '{"a":' + '['.repeat(60_000) + ']'.repeat(60_000) + '}',
      '{"a":'.repeat(40_000) + '1' + '}'.repeat(40_000),
    ]) {
      const answer = await postRaw(service, `/carts/${cart.id}/items`, text);
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_FAILED');
      expect(answer.body.errors?.[0].field).toMatch(/^a(\[0\]|\.a)/);
    }
    expect((await service.http.get('/health/live')).status).toBe(200);
    expect((await service.http.get(`/carts/${cart.id}`)).body).toMatchObject({ version: 1, items: [] });
  });

  it('refuses 33 levels but not 32', async () => {
    const cart = await createCart(service.http);
    const nested = (levels: number) => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);
    expect((await postRaw(service, `/carts/${cart.id}/items`, nested(33))).body.errors?.[0].field).toBe(
      Array(32).fill('a').join('.'),
    );
    // 32 levels pass the guard and meet the DTO's own rules instead.
    expect((await postRaw(service, `/carts/${cart.id}/items`, nested(32))).body.errors?.[0].field).not.toMatch(/^a\.a/);
  });

  it('refuses a NUL character in any string, naming the field, and writes nothing', async () => {
    const cart = await createCart(service.http);
    const line = await anItem(service.http);
    const answer = await postRaw(
      service,
      `/carts/${cart.id}/items`,
      JSON.stringify({ ...line, reference: `${line.reference}\u0000` }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'reference' }] });
    const customer = await postRaw(
      service,
      `/carts/${cart.id}/customer`,
      JSON.stringify({ billingAddress: { givenName: 'Eva\u0000' } }),
      'PUT',
    );
    expect(customer.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'billingAddress.givenName' }] });
    expect((await service.http.get(`/carts/${cart.id}`)).body).toMatchObject({ version: 1, items: [] });
  });

  it('refuses lone surrogates, naming the field', async () => {
    const cart = await createCart(service.http);
    await addItem(service.http, cart.id);
    const answer = await postRaw(
      service,
      `/carts/${cart.id}/customer`,
      '{"shippingAddress":{"city":"Malm\\ud800"}}',
      'PUT',
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'shippingAddress.city' }] });
    // A surrogate pair (an emoji) is ordinary text.
    const fine = await postRaw(
      service,
      `/carts/${cart.id}/customer`,
      '{"shippingAddress":{"city":"Malm\\ud83d\\ude00"}}',
      'PUT',
    );
    expect(fine.status).toBe(200);
  });

  it('refuses bodies that are not JSON objects', async () => {
    for (const text of ['[]', '"text"', '42', 'null', 'true']) {
      const answer = await postRaw(service, '/carts', text);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'body' }] });
    }
  });

  it('refuses NUL in the query string of a callback', async () => {
    const answer = await postRaw(
      service,
      `/webhooks/klarna/push?cart_id=8c1f6a56-6a53-4c42-9c55-3f3c8a7f4e10&sig=x&order_id=a%00b`,
      '{}',
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'order_id' }] });
  });
});
