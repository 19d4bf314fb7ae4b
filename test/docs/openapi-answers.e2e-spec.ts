/**
 * The OpenAPI document a front-end team generates its client from must say what the service really answers: real
 * answers of a whole checkout, and its refusals, are validated with ajv against the schemas /docs-json gives for
 * that path, method and status. An answer whose status the document does not list fails too.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { randomUUID } from 'node:crypto';
import { addItem, aProduct, createCart } from '../factories/cart.factory.js';
import type { JsonResponse } from '../support/http.js';
import { OPS_API_KEY, startTestApp, type TestApp } from '../support/test-app.js';

type Json = Record<string, unknown>;
interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Json }> }> }>>;
  components: { schemas: Record<string, Json> };
}

const DOCUMENT_ID = 'https://bff.test/openapi.json';

/** OpenAPI 3.0's `nullable: true` is JSON Schema's "or null"; the rest of these schemas is JSON Schema already. */
function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const { nullable, ...rest } = schema as Json;
  const converted = Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [
      key,
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as Json).map(([name, sub]) => [name, toJsonSchema(sub)]))
        : key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')
          ? `${DOCUMENT_ID}#/$defs/${value.slice('#/components/schemas/'.length)}`
          : toJsonSchema(value),
    ]),
  );
  return nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted;
}

describe('the OpenAPI document against real answers', () => {
  let service: TestApp;
  let document: OpenApiDocument;
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats.default(ajv);
  ajv.addKeyword('example');
  const validators = new Map<string, ValidateFunction>();
  let compiled = 0;

  beforeAll(async () => {
    service = await startTestApp();
    document = (await service.http.get<OpenApiDocument>('/docs-json')).body;
    ajv.addSchema({ $id: DOCUMENT_ID, $defs: toJsonSchema(document.components.schemas) as Json });
  });

  afterAll(async () => {
    await service?.close();
  });

  /** Validates one real answer against what the document says for that operation and status. */
  function expectDocumented(route: string, method: string, response: JsonResponse<unknown>): void {
    const operation = document.paths[route]?.[method];
    expect({ route, method, documented: operation !== undefined }).toEqual({ route, method, documented: true });
    const answer = operation.responses[String(response.status)];
    expect({ route, method, status: response.status, documented: answer !== undefined }).toEqual({
      route,
      method,
      status: response.status,
      documented: true,
    });
    const schema = answer.content?.['application/json']?.schema;
    expect({ route, method, status: response.status, hasSchema: schema !== undefined }).toMatchObject({
      hasSchema: true,
    });
    const key = `${method} ${route} ${response.status}`;
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile({ $id: `https://bff.test/answers/${++compiled}`, ...(toJsonSchema(schema) as Json) });
      validators.set(key, validate);
    }
    const valid = validate(response.body);
    expect({ key, errors: valid ? null : ajv.errorsText(validate.errors), body: valid ? null : response.body }).toEqual(
      { key, errors: null, body: null },
    );
  }

  const OPS = { authorization: `Bearer ${OPS_API_KEY}` };

  it('documents a whole checkout: carts, lines, customer, session, placement, order and catalog', async () => {
    const created = await service.http.post('/carts', {
      purchaseCountry: 'SE',
      purchaseCurrency: 'SEK',
      locale: 'sv-SE',
    });
    expectDocumented('/carts', 'post', created);
    const cartId = (created.body as { id: string }).id;

    const reference = await aProduct(service.http, { unitPrice: 19_900, maxQuantity: 5 });
    const added = await service.http.post(`/carts/${cartId}/items`, { reference, quantity: 2 });
    expectDocumented('/carts/{cartId}/items', 'post', added);
    const itemId = (added.body as { items: { id: string }[] }).items[0].id;

    expectDocumented('/carts/{cartId}', 'get', await service.http.get(`/carts/${cartId}`));
    const customer = await service.http.put(`/carts/${cartId}/customer`, {
      billingAddress: { givenName: 'Test', familyName: 'Person', email: 'customer@email.us', country: 'SE' },
    });
    expectDocumented('/carts/{cartId}/customer', 'put', customer);

    const opened = await service.http.post(`/carts/${cartId}/klarna-session`, {});
    expectDocumented('/carts/{cartId}/klarna-session', 'post', opened);
    expectDocumented(
      '/carts/{cartId}/klarna-session',
      'post',
      await service.http.post(`/carts/${cartId}/klarna-session`, {}),
    );
    expectDocumented(
      '/carts/{cartId}/klarna-session',
      'get',
      await service.http.get(`/carts/${cartId}/klarna-session`),
    );
    // With a live session, a change carries klarna.action = load.
    const changed = await service.http.patch(`/carts/${cartId}/items/${itemId}`, { quantity: 3 });
    expect(changed.body).toMatchObject({ klarna: { action: 'load', inSync: true } });
    expectDocumented('/carts/{cartId}/items/{itemId}', 'patch', changed);

    const sessionId = (opened.body as { sessionId: string }).sessionId;
    const authorize = () =>
      service.klarna.control<{ authorization_token: string }>('POST', `/sessions/${sessionId}/authorize`, {});
    const held = await service.http.post(`/carts/${cartId}/klarna-session/authorizations`, {
      authorizationToken: (await authorize()).body.authorization_token,
      finalize: false,
    });
    expect(held.body).toEqual({ status: 'authorized' });
    expectDocumented('/carts/{cartId}/klarna-session/authorizations', 'post', held);
    const placed = await service.http.post(`/carts/${cartId}/order`);
    expect(placed.status).toBe(201);
    expectDocumented('/carts/{cartId}/order', 'post', placed);
    const repeated = await service.http.post(`/carts/${cartId}/order`);
    expectDocumented('/carts/{cartId}/order', 'post', repeated);

    const orderId = (placed.body as { orderId: string }).orderId;
    expectDocumented('/orders/{orderId}', 'get', await service.http.get(`/orders/${orderId}`));

    const market = 'country=SE&currency=SEK&locale=sv-SE';
    expectDocumented('/catalog/products', 'get', await service.http.get(`/catalog/products?${market}&limit=5`));
    expectDocumented(
      '/catalog/products/{reference}',
      'get',
      await service.http.get(`/catalog/products/${encodeURIComponent(reference)}?${market}`),
    );
    expectDocumented('/storefront/config', 'get', await service.http.get('/storefront/config'));
  });

  it('documents the US cart with its sales-tax lines, notices after a market change and a sync error', async () => {
    const usReference = await aProduct(service.http, {
      country: 'US',
      currency: 'USD',
      unitPrice: 5_000,
      taxRate: 800,
    });
    const us = await createCart(service.http, { purchaseCountry: 'US', purchaseCurrency: 'USD', locale: 'en-US' });
    const withTax = await service.http.post(`/carts/${us.id}/items`, { reference: usReference, quantity: 1 });
    expect((withTax.body as { orderLines: { type: string }[] }).orderLines.map((line) => line.type)).toContain(
      'sales_tax',
    );
    expectDocumented('/carts/{cartId}/items', 'post', withTax);

    // A SEK-only product leaves the cart when the market becomes Germany: an ITEM_REMOVED notice.
    const cart = await addItem(service.http, (await createCart(service.http)).id, { unitPrice: 9_900 });
    await service.http.post(`/carts/${cart.id}/klarna-session`, {});
    const moved = await service.http.patch(`/carts/${cart.id}`, {
      purchaseCountry: 'DE',
      purchaseCurrency: 'EUR',
      locale: 'de-DE',
    });
    expect(moved.body).toMatchObject({ notices: [{ code: 'ITEM_REMOVED' }] });
    expectDocumented('/carts/{cartId}', 'patch', moved);

    // Klarna refuses an update: the cart is saved, out of sync, with Klarna's error.
    const other = await addItem(service.http, (await createCart(service.http)).id, {});
    await service.http.post(`/carts/${other.id}/klarna-session`, {});
    await service.klarna.control('POST', '/faults', { operation: 'updateSession', failNext: 1, errorStatus: 400 });
    const refused = await service.http.patch(`/carts/${other.id}/items/${other.items[0].id}`, { quantity: 2 });
    await service.klarna.control('DELETE', '/faults');
    expect(refused.body).toMatchObject({ klarna: { inSync: false, syncError: { errorCode: 'BAD_VALUE' } } });
    expectDocumented('/carts/{cartId}/items/{itemId}', 'patch', refused);
    const removed = await service.http.delete(`/carts/${other.id}/items/${other.items[0].id}`);
    expectDocumented('/carts/{cartId}/items/{itemId}', 'delete', removed);
  });

  it('documents the refusals: 400 with fields, 404, 409, 422 and 503 with their codes', async () => {
    const invalid = await service.http.post('/carts', { purchaseCountry: 'SE', purchaseCurrency: 'SEK' });
    expect(invalid.status).toBe(400);
    expectDocumented('/carts', 'post', invalid);

    const missing = await service.http.get(`/carts/${randomUUID()}`);
    expect(missing.body).toMatchObject({ code: 'CART_NOT_FOUND' });
    expectDocumented('/carts/{cartId}', 'get', missing);
    expectDocumented('/orders/{orderId}', 'get', await service.http.get(`/orders/${randomUUID()}`));
    expectDocumented(
      '/carts/{cartId}/klarna-session',
      'get',
      await service.http.get(`/carts/${randomUUID()}/klarna-session`),
    );

    const empty = await createCart(service.http);
    const noLines = await service.http.post(`/carts/${empty.id}/klarna-session`, {});
    expect(noLines.body).toMatchObject({ code: 'CART_EMPTY' });
    expectDocumented('/carts/{cartId}/klarna-session', 'post', noLines);

    const unknown = await service.http.post(`/carts/${empty.id}/items`, {
      reference: `NOPE-${randomUUID()}`,
      quantity: 1,
    });
    expect(unknown.body).toMatchObject({ code: 'UNKNOWN_PRODUCT' });
    expectDocumented('/carts/{cartId}/items', 'post', unknown);

    const cart = await addItem(service.http, empty.id, {});
    const noAuthorization = await service.http.post(`/carts/${cart.id}/order`);
    expect(noAuthorization.body).toMatchObject({ code: 'REAUTHORIZATION_REQUIRED' });
    expectDocumented('/carts/{cartId}/order', 'post', noAuthorization);

    // Klarna does not answer: 503 KLARNA_UNAVAILABLE, nothing lost.
    await service.klarna.control('POST', '/faults', { operation: 'createSession', errorStatus: 503, failNext: 5 });
    const unavailable = await service.http.post(`/carts/${cart.id}/klarna-session`, {});
    await service.klarna.control('DELETE', '/faults');
    expect(unavailable.body).toMatchObject({ code: 'KLARNA_UNAVAILABLE' });
    expectDocumented('/carts/{cartId}/klarna-session', 'post', unavailable);

    const forged = await service.http.post(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: randomUUID(),
    });
    expect(forged.body).toMatchObject({ code: 'NO_KLARNA_SESSION' });
    expectDocumented('/carts/{cartId}/klarna-session/authorizations', 'post', forged);

    const badQuery = await service.http.get('/catalog/products?country=XX&currency=SEK&locale=sv-SE');
    expectDocumented('/catalog/products', 'get', badQuery);
    const unsold = await service.http.get(
      `/catalog/products/${encodeURIComponent(await aProduct(service.http, {}))}?country=GB&currency=GBP&locale=en-GB`,
      OPS,
    );
    expect(unsold.body).toMatchObject({ code: 'NOT_SOLD_IN_MARKET' });
    expectDocumented('/catalog/products/{reference}', 'get', unsold);
  });

  it("lists every storefront operation's answers with a schema, errors included", () => {
    const storefront = Object.entries(document.paths).filter(
      ([route]) => route.startsWith('/carts') || route === '/orders/{orderId}' || route.startsWith('/catalog/products'),
    );
    const missing: string[] = [];
    for (const [route, operations] of storefront) {
      for (const [method, operation] of Object.entries(operations)) {
        if (route.startsWith('/catalog/products') && method !== 'get') continue;
        if (route === '/orders/{orderId}' && method !== 'get') continue;
        for (const status of ['400', '429', '503']) {
          if (!operation.responses[status]) missing.push(`${method} ${route} ${status}`);
        }
        for (const [status, answer] of Object.entries(operation.responses)) {
          if (!answer.content?.['application/json']?.schema) missing.push(`${method} ${route} ${status} (no schema)`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
