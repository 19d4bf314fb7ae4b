import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addItem, createCart, type CartBody } from '../factories/cart.factory.js';
import { placeOrder } from '../factories/checkout.factory.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import {
  aShippingMethod,
  aShippingMethodBody,
  OPS,
  putTaxRate,
  unique,
  type OrderLineBody,
} from './checkout-test-kit.js';

interface ShippingCart extends CartBody {
  shipping: { methodId: string; name: string; amount: number; taxRate: number } | null;
}

interface Options {
  selected: string | null;
  options: { methodId: string; amount: number; regularAmount: number; free: boolean; taxRate: number }[];
}

/** Issue 13: shipping methods per market, priced by the server, sent to Klarna as a shipping_fee line. */
describe('shipping', () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startTestApp({ SHIPPING_REQUIRED: 'true', AUTHORIZATION_CALLBACK_GRACE_MS: '600000' });
    await putTaxRate(service.http, 'SE', 'ship-2500', 2500);
    await putTaxRate(service.http, 'NO', 'ship-2500', 2500);
    await putTaxRate(service.http, 'US', 'ship-2500', 700);
  });
  afterAll(() => service.close());

  describe('ops', () => {
    it('creates (201) and replaces (200) a method, and refuses a bad body naming the field', async () => {
      const id = unique('ship');
      const created = await service.http.put(`/shipping-methods/${id}`, aShippingMethodBody(), OPS);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ id, countries: ['SE'], freeOver: [], deliveryEstimate: null });
      const replaced = await service.http.put(
        `/shipping-methods/${id}`,
        aShippingMethodBody({ deliveryEstimate: '1-2 days' }),
        OPS,
      );
      expect(replaced.status).toBe(200);
      expect((await service.http.get(`/shipping-methods/${id}`, OPS)).body).toMatchObject({
        deliveryEstimate: '1-2 days',
      });

      const bad = await service.http.put(
        `/shipping-methods/${id}`,
        aShippingMethodBody({ prices: [{ currency: 'SEK', amount: -1 }] }),
        OPS,
      );
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'prices[0].amount' }] });
      const badCountry = await service.http.put(
        `/shipping-methods/${id}`,
        aShippingMethodBody({ countries: ['XX'] }),
        OPS,
      );
      expect(badCountry.body).toMatchObject({ errors: [{ field: 'countries' }] });
    });

    it('lets only ops manage methods', async () => {
      const answer = await service.http.put(`/shipping-methods/${unique('ship')}`, aShippingMethodBody());
      expect(answer.status).toBe(401);
      expect((await service.http.get(`/shipping-methods/${unique('ship')}`, OPS)).body).toMatchObject({
        code: 'SHIPPING_METHOD_NOT_FOUND',
      });
    });
  });

  it("lists the market's methods priced for the cart, free over the threshold", async () => {
    const { http } = service;
    const home = await aShippingMethod(http, { freeOver: [{ currency: 'SEK', amount: 100_000 }] });
    const norway = await aShippingMethod(http, { countries: ['NO'], prices: [{ currency: 'NOK', amount: 9900 }] });
    const off = await aShippingMethod(http, { active: false });
    const cart = await createCart(http);
    await addItem(http, cart.id, { unitPrice: 60_000 });

    const cheap = (await http.get<Options>(`/carts/${cart.id}/shipping-options`)).body;
    const ids = cheap.options.map((option) => option.methodId);
    expect(ids).toContain(home);
    expect(ids).not.toContain(norway);
    expect(ids).not.toContain(off);
    expect(cheap.options.find((option) => option.methodId === home)).toMatchObject({
      amount: 4900,
      free: false,
      taxRate: 2500,
    });

    await addItem(http, cart.id, { unitPrice: 40_000 });
    const free = (await http.get<Options>(`/carts/${cart.id}/shipping-options`)).body;
    expect(free.options.find((option) => option.methodId === home)).toMatchObject({
      amount: 0,
      regularAmount: 4900,
      free: true,
    });
  });

  it('adds one shipping_fee line when a method is chosen, and pushes it to Klarna', async () => {
    const { http, klarna } = service;
    const method = await aShippingMethod(http, { name: 'PostNord' });
    const cart = await createCart(http);
    await addItem(http, cart.id, { unitPrice: 10_000 });
    const session = await http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);

    const chosen = await http.put<ShippingCart>(`/carts/${cart.id}/shipping`, { methodId: method });
    expect(chosen.status).toBe(200);
    expect(chosen.body.shipping).toEqual({ methodId: method, name: 'PostNord', amount: 4900, taxRate: 2500 });
    const fee = chosen.body.orderLines.filter((line) => line.type === 'shipping_fee');
    expect(fee).toEqual([
      expect.objectContaining({
        reference: method,
        unitPrice: 4900,
        taxRate: 2500,
        totalAmount: 4900,
        totalTaxAmount: 980,
      }),
    ]);
    expect(chosen.body).toMatchObject({ orderAmount: 14_900, orderTaxAmount: 2000 + 980 });

    const atKlarna = await klarna.control<{ data: { order_amount: number; order_lines: OrderLineBody[] } }>(
      'GET',
      `/sessions/${session.body.sessionId}`,
    );
    expect(atKlarna.body.data.order_amount).toBe(14_900);
    expect(atKlarna.body.data.order_lines.filter((line) => line.type === 'shipping_fee')).toEqual([
      expect.objectContaining({ reference: method, unit_price: 4900, tax_rate: 2500, total_tax_amount: 980 }),
    ]);

    // A second choice replaces the first: still one shipping_fee line.
    const other = await aShippingMethod(http, { prices: [{ currency: 'SEK', amount: 2900 }] });
    const replaced = await http.put<ShippingCart>(`/carts/${cart.id}/shipping`, { methodId: other });
    expect(replaced.body.orderLines.filter((line) => line.type === 'shipping_fee')).toHaveLength(1);
    expect(replaced.body.orderAmount).toBe(12_900);
  });

  it('taxes the fee in the sales_tax line in the US (net line, tax rate 0)', async () => {
    const { http } = service;
    const method = await aShippingMethod(http, { countries: ['US'], prices: [{ currency: 'USD', amount: 599 }] });
    const cart = await createCart(http, { purchaseCountry: 'US', purchaseCurrency: 'USD', locale: 'en-US' });
    await addItem(http, cart.id, { unitPrice: 10_000, taxRate: 700, country: 'US', currency: 'USD' });
    const chosen = await http.put<ShippingCart>(`/carts/${cart.id}/shipping`, { methodId: method });
    expect(chosen.body.orderLines.map((line) => [line.type, line.totalAmount, line.taxRate])).toEqual([
      ['physical', 10_000, 0],
      ['shipping_fee', 599, 0],
      ['sales_tax', 742, 0],
    ]);
    expect(chosen.body).toMatchObject({ orderAmount: 11_341, orderTaxAmount: 742 });
  });

  it('refuses a method the market does not offer: 422 SHIPPING_METHOD_UNAVAILABLE, nothing written', async () => {
    const { http } = service;
    const norway = await aShippingMethod(http, { countries: ['NO'], prices: [{ currency: 'NOK', amount: 9900 }] });
    const noSek = await aShippingMethod(http, { prices: [{ currency: 'EUR', amount: 500 }] });
    const untaxed = await aShippingMethod(http, { taxClass: 'no-such-class' });
    const cart = await createCart(http);
    const before = await addItem(http, cart.id);
    for (const methodId of [norway, noSek, untaxed, 'never-created']) {
      const refused = await http.put(`/carts/${cart.id}/shipping`, { methodId });
      expect({ methodId, status: refused.status, code: refused.body.code }).toEqual({
        methodId,
        status: 422,
        code: 'SHIPPING_METHOD_UNAVAILABLE',
      });
    }
    expect((await http.get<ShippingCart>(`/carts/${cart.id}`)).body).toMatchObject({
      version: before.version,
      shipping: null,
    });
    const bad = await http.put(`/carts/${cart.id}/shipping`, { methodId: 'has space' });
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'methodId' }] });
  });

  it('drops the method on a market change that it does not serve, and says so', async () => {
    const { http, klarna } = service;
    const method = await aShippingMethod(http);
    const reference = unique('SKU');
    await http.put(
      `/catalog/products/${reference}`,
      {
        name: 'Shoe',
        type: 'physical',
        taxClass: 'ship-2500',
        prices: [
          { currency: 'SEK', unitPrice: 10_000 },
          { currency: 'NOK', unitPrice: 11_000 },
        ],
      },
      OPS,
    );
    const cart = await createCart(http);
    await http.post(`/carts/${cart.id}/items`, { reference, quantity: 1 });
    await http.put(`/carts/${cart.id}/shipping`, { methodId: method });
    await http.post(`/carts/${cart.id}/klarna-session`);

    const moved = await http.patch<ShippingCart>(`/carts/${cart.id}`, {
      purchaseCountry: 'NO',
      purchaseCurrency: 'NOK',
      locale: 'nb-NO',
    });
    expect(moved.status).toBe(200);
    expect(moved.body.shipping).toBeNull();
    expect(moved.body.notices).toContainEqual({
      code: 'SHIPPING_METHOD_REMOVED',
      methodId: method,
      reason: 'unavailable',
    });
    expect(moved.body.orderLines.map((line) => line.type)).toEqual(['physical']);
    expect(moved.body.orderAmount).toBe(11_000);
    // The new market's session has no shipping line.
    const sessionId = moved.body.klarna!.sessionId;
    const atKlarna = await klarna.control<{ data: { order_lines: OrderLineBody[] } }>('GET', `/sessions/${sessionId}`);
    expect(atKlarna.body.data.order_lines.map((line) => line.type)).toEqual(['physical']);
  });

  describe('placing', () => {
    async function authorizedCart(items: Parameters<typeof addItem>[2][], methodId?: string) {
      const { http, klarna } = service;
      const cart = await createCart(http);
      for (const item of items) await addItem(http, cart.id, item);
      if (methodId) await http.put(`/carts/${cart.id}/shipping`, { methodId });
      const session = await http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
      return { cart, token: await klarna.authorize(session.body.sessionId) };
    }

    it('refuses a cart with physical lines and no method: 409 SHIPPING_REQUIRED, Klarna not asked', async () => {
      const { cart, token } = await authorizedCart([{}]);
      const refused = await placeOrder(service, cart.id, token);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'SHIPPING_REQUIRED' });
      expect((await service.klarnaCalls('createOrder')).filter((call) => call.path.includes(token))).toHaveLength(0);
    });

    it('places a digital-only cart without a method', async () => {
      const { cart, token } = await authorizedCart([{ type: 'digital' }]);
      expect((await placeOrder(service, cart.id, token)).status).toBe(201);
    });

    it('places a cart with a method, the shipping_fee line in what Klarna receives', async () => {
      const method = await aShippingMethod(service.http);
      const { cart, token } = await authorizedCart([{ unitPrice: 10_000 }], method);
      const placed = await placeOrder(service, cart.id, token);
      expect(placed.status).toBe(201);
      const [created] = (await service.klarnaCalls('createOrder')).filter((call) => call.path.includes(token));
      expect(created.body).toMatchObject({ order_amount: 14_900, order_tax_amount: 2980 });
      expect((created.body.order_lines as unknown as OrderLineBody[]).map((line) => line.type)).toEqual([
        'physical',
        'shipping_fee',
      ]);
    });

    it('refuses with CART_CHANGED when the fee changed after the authorization', async () => {
      const { http } = service;
      const method = await aShippingMethod(http);
      const { cart, token } = await authorizedCart([{ unitPrice: 10_000 }], method);
      await http.put(
        `/shipping-methods/${method}`,
        aShippingMethodBody({ prices: [{ currency: 'SEK', amount: 5900 }] }),
        OPS,
      );
      const refused = await placeOrder(service, cart.id, token);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({
        code: 'CART_CHANGED',
        details: { changes: [{ code: 'SHIPPING_FEE_CHANGED', methodId: method, amountBefore: 4900, amount: 5900 }] },
      });
      expect((await http.get<ShippingCart>(`/carts/${cart.id}`)).body.orderAmount).toBe(15_900);
    });
  });
});
