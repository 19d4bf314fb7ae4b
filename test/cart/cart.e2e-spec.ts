import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { addItem, aCart, anItem, createCart, type CartBody } from '../factories/cart.factory.js';
import type { HttpClient } from '../support/http.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('cart over REST (no Klarna session yet)', () => {
  let service: TestApp;
  let http: HttpClient;
  beforeAll(async () => {
    service = await startTestApp();
    http = service.http;
  });
  afterAll(() => service.close());

  it('creates a cart and reads it back', async () => {
    const created = await http.post<CartBody>('/carts', aCart());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'open',
      version: 1,
      purchaseCountry: 'SE',
      purchaseCurrency: 'SEK',
      locale: 'sv-SE',
      items: [],
      orderAmount: 0,
      orderTaxAmount: 0,
      klarna: null,
    });
    const read = await http.get<CartBody>(`/carts/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it('adds, changes and removes lines with Klarna totals, counting every change in the version', async () => {
    const cart = await createCart(http);
    const added = await http.post<CartBody>(
      `/carts/${cart.id}/items`,
      anItem({ quantity: 2, unitPrice: 12_500, totalDiscountAmount: 2500 }),
    );
    expect(added.status).toBe(201);
    expect(added.body.items[0]).toMatchObject({
      quantity: 2,
      totalAmount: 22_500,
      totalTaxAmount: 4500,
      type: 'physical',
    });
    expect(added.body).toMatchObject({ version: 2, orderAmount: 22_500, orderTaxAmount: 4500 });

    const shipping = await addItem(http, cart.id, { type: 'shipping_fee', name: 'Shipping', unitPrice: 4900 });
    expect(shipping).toMatchObject({ version: 3, orderAmount: 27_400, orderTaxAmount: 5480 });

    const itemId = added.body.items[0].id;
    const changed = await http.patch<CartBody>(`/carts/${cart.id}/items/${itemId}`, {
      quantity: 1,
      totalDiscountAmount: 0,
    });
    expect(changed.status).toBe(200);
    expect(changed.body.items[0]).toMatchObject({ quantity: 1, totalAmount: 12_500, totalTaxAmount: 2500 });
    expect(changed.body.orderAmount).toBe(17_400);

    const removed = await http.delete<CartBody>(`/carts/${cart.id}/items/${itemId}`);
    expect(removed.status).toBe(200);
    expect(removed.body.items.map((item) => item.name)).toEqual(['Shipping']);
    expect(removed.body).toMatchObject({ version: 5, orderAmount: 4900, orderTaxAmount: 980 });
  });

  it('supports discount lines and US sales tax as its own line', async () => {
    const cart = await createCart(http, { purchaseCountry: 'US', purchaseCurrency: 'USD', locale: 'en-US' });
    await addItem(http, cart.id, { unitPrice: 20_000, taxRate: 0 });
    await addItem(http, cart.id, { type: 'discount', name: 'Welcome', unitPrice: -2000, taxRate: 0 });
    const withTax = await addItem(http, cart.id, { type: 'sales_tax', name: 'Sales Tax', unitPrice: 1440, taxRate: 0 });
    expect(withTax).toMatchObject({ orderAmount: 19_440, orderTaxAmount: 1440 });
  });

  it('keeps customer data on the cart', async () => {
    const cart = await createCart(http);
    const response = await http.put<CartBody & { customer: unknown }>(`/carts/${cart.id}/customer`, {
      billingAddress: { givenName: 'Testperson', familyName: 'Approved', email: 'shopper@example.com', country: 'SE' },
      customer: { dateOfBirth: '1980-01-31' },
    });
    expect(response.status).toBe(200);
    expect(response.body.customer).toEqual({
      billingAddress: { givenName: 'Testperson', familyName: 'Approved', email: 'shopper@example.com', country: 'SE' },
      customer: { dateOfBirth: '1980-01-31' },
    });
  });

  it('answers 404 with codes for unknown carts and items', async () => {
    const missingCart = await http.get('/carts/7d1f6f1e-46a3-4c0f-9d5b-1e0e8d1f0a11');
    expect(missingCart.status).toBe(404);
    expect(missingCart.body).toMatchObject({ code: 'CART_NOT_FOUND' });
    const cart = await createCart(http);
    const missingItem = await http.patch(`/carts/${cart.id}/items/7d1f6f1e-46a3-4c0f-9d5b-1e0e8d1f0a11`, {
      quantity: 2,
    });
    expect(missingItem.status).toBe(404);
    expect(missingItem.body).toMatchObject({ code: 'ITEM_NOT_FOUND' });
    const noSession = await http.get(`/carts/${cart.id}/klarna-session`);
    expect(noSession.status).toBe(404);
    expect(noSession.body).toMatchObject({ code: 'NO_KLARNA_SESSION' });
  });
});

describe('bad input: 400 naming the field, and nothing written', () => {
  let service: TestApp;
  let http: HttpClient;
  let cart: CartBody;
  let database: pg.Client;

  beforeAll(async () => {
    service = await startTestApp({ BODY_LIMIT_BYTES: '4096' });
    ({ http, database } = service);
    cart = await addItem(http, (await createCart(http)).id);
  });
  afterAll(() => service.close());

  const itemCount = async () =>
    Number((await database.query('SELECT count(*) FROM cart_item WHERE cart_id = $1', [cart.id])).rows[0].count);

  it.each([
    ['a negative price', anItem({ unitPrice: -100 }), 'unitPrice'],
    ['a fractional price', anItem({ unitPrice: 10.5 }), 'unitPrice'],
    ['a string amount', anItem({ unitPrice: '100' }), 'unitPrice'],
    ['quantity 0', anItem({ quantity: 0 }), 'quantity'],
    ['a fractional quantity', anItem({ quantity: 1.5 }), 'quantity'],
    ['an unknown type', anItem({ type: 'voucher' }), 'type'],
    ['a 300-character name', anItem({ name: 'x'.repeat(300) }), 'name'],
    ['a tax rate above 100 %', anItem({ taxRate: 10_001 }), 'taxRate'],
    ['a discount larger than the line', anItem({ unitPrice: 1000, totalDiscountAmount: 1001 }), 'totalDiscountAmount'],
    ['an unknown field', { ...anItem(), colour: 'red' }, 'colour'],
    ['a missing name', { ...anItem(), name: undefined }, 'name'],
    ['a relative image URL', anItem({ imageUrl: '/shoe.png' }), 'imageUrl'],
  ])('refuses %s', async (_case, body, field) => {
    const before = await itemCount();
    const response = await http.post<{ code: string; errors: { field: string; message: string }[] }>(
      `/carts/${cart.id}/items`,
      body,
    );
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors.map((error) => error.field)).toContain(field);
    expect(response.body.errors.every((error) => error.message.length > 0)).toBe(true);
    expect(await itemCount()).toBe(before);
  });

  it.each([
    [{ purchaseCountry: 'SE', purchaseCurrency: 'EUR', locale: 'sv-SE' }, 'purchaseCurrency'],
    [{ purchaseCountry: 'SE', purchaseCurrency: 'SEK', locale: 'de-DE' }, 'locale'],
    [{ purchaseCountry: 'SE', purchaseCurrency: 'SEK', locale: 'sv' }, 'locale'],
    [{ purchaseCountry: 'SWE', purchaseCurrency: 'SEK', locale: 'sv-SE' }, 'purchaseCountry'],
    [{ purchaseCountry: 'JP', purchaseCurrency: 'JPY', locale: 'ja-JP' }, 'purchaseCountry'],
  ])('refuses the market %j', async (body, field) => {
    const response = await http.post<{ errors: { field: string }[] }>('/carts', body);
    expect(response.status).toBe(400);
    expect(response.body.errors.map((error) => error.field)).toEqual([field]);
  });

  it('refuses a malformed UUID in the path', async () => {
    const response = await http.get<{ errors: unknown }>('/carts/not-a-uuid');
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'cartId', message: 'must be a UUID' }]);
  });

  it('refuses an oversized body', async () => {
    const response = await http.post<{ errors: unknown }>(`/carts/${cart.id}/items`, {
      ...anItem(),
      name: 'x'.repeat(5000),
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'body', message: 'request body is too large' }]);
  });

  it('refuses a wrong content type', async () => {
    const response = await http.post<{ errors: unknown }>(`/carts/${cart.id}/items`, 'reference=SKU', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'content-type', message: 'must be application/json' }]);
  });

  it('refuses malformed JSON', async () => {
    const response = await http.post<{ errors: unknown }>(`/carts/${cart.id}/items`, '{"reference":');
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'body', message: 'must be valid JSON' }]);
  });

  it('refuses the 1001st line', async () => {
    const bulk = await createCart(http);
    await database.query(
      `INSERT INTO cart_item (id, cart_id, reference, name, type, quantity, unit_price, tax_rate, position)
       SELECT gen_random_uuid(), $1, 'SKU-' || n, 'Sock', 'physical', 1, 100, 2500, n FROM generate_series(1, 1000) AS n`,
      [bulk.id],
    );
    const response = await http.post<{ errors: unknown }>(`/carts/${bulk.id}/items`, anItem({ unitPrice: 100 }));
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'items', message: 'must have at most 1000 lines' }]);
    const count = await database.query('SELECT count(*) FROM cart_item WHERE cart_id = $1', [bulk.id]);
    expect(Number(count.rows[0].count)).toBe(1000);
  });

  it('refuses bad customer data naming the nested field', async () => {
    const response = await http.put<{ errors: { field: string }[] }>(`/carts/${cart.id}/customer`, {
      billingAddress: { email: 'not-an-email', country: 'Sweden' },
    });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((error) => error.field).sort()).toEqual([
      'billingAddress.country',
      'billingAddress.email',
    ]);
  });
});
