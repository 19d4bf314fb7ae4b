import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { addItem, aCart, anItem, createCart, type CartBody } from '../factories/cart.factory.js';
import { OPS_API_KEY } from '../support/test-app.js';

const ops = { authorization: `Bearer ${OPS_API_KEY}` };
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

  it('prices lines from the catalog, merges a reference added twice, and counts every change in the version', async () => {
    const cart = await createCart(http);
    const shoe = await anItem(http, { unitPrice: 12_500, taxRate: 2500, name: 'Trail shoe', quantity: 2 });
    const added = await http.post<CartBody>(`/carts/${cart.id}/items`, shoe);
    expect(added.status).toBe(201);
    expect(added.body.items[0]).toMatchObject({
      reference: shoe.reference,
      name: 'Trail shoe',
      quantity: 2,
      unitPrice: 12_500,
      taxRate: 2500,
      totalAmount: 25_000,
      totalTaxAmount: 5000,
      type: 'physical',
    });
    expect(added.body).toMatchObject({ version: 2, orderAmount: 25_000, orderTaxAmount: 5000, notices: [] });

    const plan = await addItem(http, cart.id, { type: 'digital', name: 'Training plan', unitPrice: 4900 });
    expect(plan).toMatchObject({ version: 3, orderAmount: 29_900, orderTaxAmount: 5980 });
    expect(plan.orderLines.map((line) => line.type)).toEqual(['physical', 'digital']);

    const again = await http.post<CartBody>(`/carts/${cart.id}/items`, { reference: shoe.reference, quantity: 1 });
    expect(again.body.items.map((item) => [item.reference, item.quantity])).toEqual([
      [shoe.reference, 3],
      [plan.items[1].reference, 1],
    ]);

    const itemId = added.body.items[0].id;
    const changed = await http.patch<CartBody>(`/carts/${cart.id}/items/${itemId}`, { quantity: 1 });
    expect(changed.status).toBe(200);
    expect(changed.body.items[0]).toMatchObject({ quantity: 1, totalAmount: 12_500, totalTaxAmount: 2500 });
    expect(changed.body.orderAmount).toBe(17_400);

    const removed = await http.delete<CartBody>(`/carts/${cart.id}/items/${itemId}`);
    expect(removed.status).toBe(200);
    expect(removed.body.items.map((item) => item.name)).toEqual(['Training plan']);
    expect(removed.body).toMatchObject({ version: 6, orderAmount: 4900, orderTaxAmount: 980 });
  });

  it('adds US sales tax as its own line, at the catalog’s rate on the net lines', async () => {
    const cart = await createCart(http, { purchaseCountry: 'US', purchaseCurrency: 'USD', locale: 'en-US' });
    await addItem(http, cart.id, { country: 'US', currency: 'USD', unitPrice: 20_000, taxRate: 725, quantity: 2 });
    const withTax = await addItem(http, cart.id, { country: 'US', currency: 'USD', unitPrice: 999, taxRate: 725 });
    expect(withTax.items.map((item) => [item.taxRate, item.salesTaxRate])).toEqual([
      [0, 725],
      [0, 725],
    ]);
    // (40 000 + 999) x 7.25 % = 2972.43 -> 2972, one sales_tax line; the order's tax is that line.
    expect(withTax.orderLines.at(-1)).toMatchObject({ type: 'sales_tax', totalAmount: 2972, totalTaxAmount: 0 });
    expect(withTax).toMatchObject({ orderAmount: 43_971, orderTaxAmount: 2972 });
  });

  it('takes every price change of the catalog at the next change, and says so', async () => {
    const cart = await createCart(http);
    const item = await anItem(http, { unitPrice: 10_000 });
    await http.post(`/carts/${cart.id}/items`, item);
    const other = await addItem(http, cart.id, { unitPrice: 5000 });
    await http.put(
      `/catalog/products/${item.reference}`,
      {
        name: 'Trail running shoe',
        type: 'physical',
        taxClass: 'rate-2500',
        prices: [{ currency: 'SEK', unitPrice: 11_000 }],
      },
      ops,
    );
    const read = await http.get<CartBody>(`/carts/${cart.id}`);
    expect(read.body.items[0].unitPrice).toBe(10_000);
    const changed = await http.patch<CartBody>(`/carts/${cart.id}/items/${other.items[1].id}`, { quantity: 2 });
    expect(changed.body.items[0].unitPrice).toBe(11_000);
    expect(changed.body.notices).toEqual([
      {
        code: 'PRICE_CHANGED',
        itemId: read.body.items[0].id,
        reference: item.reference,
        unitPriceBefore: 10_000,
        unitPrice: 11_000,
      },
    ]);
    expect(changed.body.orderAmount).toBe(21_000);
  });

  it('drops a line the new market does not sell when the cart moves, with a notice', async () => {
    const cart = await createCart(http);
    const sold = await anItem(http, { unitPrice: 10_000 });
    const onlyHere = await anItem(http, { unitPrice: 5000 });
    await http.post(`/carts/${cart.id}/items`, sold);
    await http.post(`/carts/${cart.id}/items`, onlyHere);
    await http.patch(`/catalog/products/${sold.reference}`, { prices: [{ currency: 'NOK', unitPrice: 9000 }] }, ops);
    await http.put('/catalog/tax-rates/NO/rate-2500', { rate: 2500 }, ops);
    const moved = await http.patch<CartBody>(`/carts/${cart.id}`, {
      purchaseCountry: 'NO',
      purchaseCurrency: 'NOK',
      locale: 'nb-NO',
    });
    expect(moved.status).toBe(200);
    expect(moved.body.items.map((line) => [line.reference, line.unitPrice])).toEqual([[sold.reference, 9000]]);
    expect(moved.body.notices).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'ITEM_REMOVED', reference: onlyHere.reference, reason: 'not_sold_in_market' }),
      ]),
    );
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
    ['the price', { unitPrice: 1 }, 'unitPrice'],
    ['a tax rate', { taxRate: 0 }, 'taxRate'],
    ['a name', { name: 'Cheap shoe' }, 'name'],
    ['a type', { type: 'gift_card' }, 'type'],
    ['a discount', { totalDiscountAmount: 129_899 }, 'totalDiscountAmount'],
    ['an unknown field', { colour: 'red' }, 'colour'],
  ])('refuses a line that sends %s: the server prices it, and nothing is written', async (_case, extra, field) => {
    const before = await itemCount();
    const response = await http.post<{ code: string; errors: { field: string; message: string }[] }>(
      `/carts/${cart.id}/items`,
      { ...(await anItem(http)), ...extra },
    );
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors).toContainEqual({ field, message: 'is not allowed' });
    expect(await itemCount()).toBe(before);
  });

  it.each([
    ['quantity 0', { quantity: 0 }, 'quantity'],
    ['a fractional quantity', { quantity: 1.5 }, 'quantity'],
    ['a string quantity', { quantity: '2' }, 'quantity'],
    ['a missing reference', { reference: undefined }, 'reference'],
    ['a 300-character reference', { reference: 'x'.repeat(300) }, 'reference'],
  ])('refuses %s', async (_case, change, field) => {
    const before = await itemCount();
    const response = await http.post<{ code: string; errors: { field: string; message: string }[] }>(
      `/carts/${cart.id}/items`,
      { ...(await anItem(http)), ...change },
    );
    expect(response.status).toBe(400);
    expect(response.body.errors.map((error) => error.field)).toContain(field);
    expect(await itemCount()).toBe(before);
  });

  it('answers 422 UNKNOWN_PRODUCT for a reference the catalog lacks or switched off, writing nothing', async () => {
    const before = await itemCount();
    const unknown = await http.post(`/carts/${cart.id}/items`, { reference: 'NO-SUCH-SKU', quantity: 1 });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ code: 'UNKNOWN_PRODUCT', errors: [{ field: 'reference' }] });
    const retired = await anItem(http);
    await http.patch(`/catalog/products/${retired.reference}`, { active: false }, ops);
    const inactive = await http.post(`/carts/${cart.id}/items`, retired);
    expect(inactive.status).toBe(422);
    expect(inactive.body).toMatchObject({ code: 'UNKNOWN_PRODUCT' });
    expect(await itemCount()).toBe(before);
  });

  it('answers 422 NOT_SOLD_IN_MARKET for a product without a price in the cart’s currency', async () => {
    const before = await itemCount();
    const euroOnly = await anItem(http, { currency: 'EUR', country: 'DE', taxRate: 1900 });
    const response = await http.post(`/carts/${cart.id}/items`, euroOnly);
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ code: 'NOT_SOLD_IN_MARKET', errors: [{ field: 'reference' }] });
    expect(await itemCount()).toBe(before);
  });

  it('refuses a quantity above the product’s maxQuantity, or else MAX_LINE_QUANTITY (99)', async () => {
    const before = await itemCount();
    const limited = await anItem(http, { maxQuantity: 3, quantity: 4 });
    const over = await http.post<{ errors: unknown }>(`/carts/${cart.id}/items`, limited);
    expect(over.status).toBe(400);
    expect(over.body.errors).toEqual([{ field: 'quantity', message: 'must not exceed 3 for this product' }]);
    const unlimited = await http.post<{ errors: unknown }>(
      `/carts/${cart.id}/items`,
      await anItem(http, { quantity: 100 }),
    );
    expect(unlimited.status).toBe(400);
    expect(unlimited.body.errors).toEqual([{ field: 'quantity', message: 'must not exceed 99 for this product' }]);
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

  // GET /carts/:cartId and this route are served past Nest's router (common/direct-routes.ts): the same checks.
  it('checks a line change as its decorators say: path UUIDs, then the body, changing nothing', async () => {
    const target = await createCart(http);
    const line = await addItem(http, target.id, { quantity: 2 });
    const itemId = line.items[0].id;
    const refusals = [
      [`/carts/not-a-uuid/items/${itemId}`, { quantity: 3 }, { field: 'cartId', message: 'must be a UUID' }],
      [`/carts/${target.id}/items/not-a-uuid`, { quantity: 3 }, { field: 'itemId', message: 'must be a UUID' }],
      [
        `/carts/${target.id}/items/${itemId}`,
        { quantity: 0 },
        { field: 'quantity', message: 'must not be less than 1' },
      ],
      [
        `/carts/${target.id}/items/${itemId}`,
        { quantity: '3' },
        { field: 'quantity', message: 'must be an integer number' },
      ],
      [
        `/carts/${target.id}/items/${itemId}`,
        { quantity: 3, unitPrice: 1 },
        { field: 'unitPrice', message: 'is not allowed' },
      ],
    ] as const;
    for (const [path, body, error] of refusals) {
      const response = await http.patch<{ code: string; errors: unknown }>(path, body);
      expect({ path, status: response.status, code: response.body.code, errors: response.body.errors }).toEqual({
        path,
        status: 400,
        code: 'VALIDATION_FAILED',
        errors: [error],
      });
    }
    const read = await http.get<CartBody>(`/carts/${target.id}`);
    expect(read.body.items[0].quantity).toBe(2);
    expect(read.body.version).toBe(line.version);
  });

  it('refuses an oversized body', async () => {
    const response = await http.post<{ errors: unknown }>(`/carts/${cart.id}/items`, {
      ...(await anItem(http)),
      reference: 'x'.repeat(5000),
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
      `WITH products AS (
         INSERT INTO catalog_product (id, reference, name, type, tax_class)
         SELECT gen_random_uuid(), $2 || n, 'Sock', 'physical', 'rate-2500' FROM generate_series(1, 1000) AS n
         RETURNING id, reference
       ), prices AS (
         INSERT INTO catalog_price (product_id, currency, unit_price) SELECT id, 'SEK', 100 FROM products
       )
       INSERT INTO cart_item (id, cart_id, reference, name, type, quantity, unit_price, tax_rate, position)
       SELECT gen_random_uuid(), $1, reference, 'Sock', 'physical', 1, 100, 2500, row_number() OVER () FROM products`,
      [bulk.id, `BULK-${Date.now()}-`],
    );
    const response = await http.post<{ errors: unknown }>(
      `/carts/${bulk.id}/items`,
      await anItem(http, { unitPrice: 100 }),
    );
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
