import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { addItem, createCart, type CartBody, type ItemSpec } from '../factories/cart.factory.js';
import { placeOrder } from '../factories/checkout.factory.js';
import { eventually, startTestApp, type TestApp } from '../support/test-app.js';
import {
  aDiscountCode,
  aDiscountCodeBody,
  aShippingMethod,
  OPS,
  putTaxRate,
  unique,
  type OrderLineBody,
} from './checkout-test-kit.js';

interface DiscountCart extends CartBody {
  discount: { code: string; amount: number } | null;
  shipping: { methodId: string; amount: number } | null;
}

interface CodeView {
  code: string;
  remainingRedemptions: number | null;
  redemptions: { orderId: string; cartId: string; amount: number; status: string }[];
}

const discountsOf = (cart: CartBody) => cart.orderLines.filter((line) => line.type === 'discount');

/** Issue 13: discount codes, priced by the server, one discount line per tax rate, redeemed exactly once. */
describe('discount codes', () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startTestApp({
      SHIPPING_REQUIRED: 'true',
      AUTHORIZATION_CALLBACK_GRACE_MS: '600000',
      // The race below places 20 orders at once.
      DATABASE_POOL_SIZE: '10',
    });
    await putTaxRate(service.http, 'SE', 'ship-2500', 2500);
  });
  afterEach(() => service.klarna.control('DELETE', '/faults'));
  afterAll(() => service.close());

  const apply = (cartId: string, code: string) =>
    service.http.post<DiscountCart>(`/carts/${cartId}/discount-codes`, { code });

  async function cartWith(items: ItemSpec[]): Promise<DiscountCart> {
    const cart = await createCart(service.http);
    let latest = cart;
    for (const item of items) latest = await addItem(service.http, cart.id, item);
    return latest as DiscountCart;
  }

  describe('ops', () => {
    it('creates (201) and replaces (200) a code, matched case-insensitively, and shows its redemptions', async () => {
      const code = unique('Mixed');
      const created = await service.http.put(`/discount-codes/${code}`, aDiscountCodeBody({ maxRedemptions: 3 }), OPS);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        code,
        kind: 'percent',
        percent: 1000,
        remainingRedemptions: 3,
        redemptions: [],
      });
      const replaced = await service.http.put(
        `/discount-codes/${code.toLowerCase()}`,
        aDiscountCodeBody({ percent: 2000 }),
        OPS,
      );
      expect(replaced.status).toBe(200);
      expect((await service.http.get(`/discount-codes/${code.toUpperCase()}`, OPS)).body).toMatchObject({
        percent: 2000,
        remainingRedemptions: null,
      });
    });

    it('refuses bad bodies naming the field, strangers, and unknown codes', async () => {
      const code = unique('BAD');
      const noPercent = await service.http.put(
        `/discount-codes/${code}`,
        aDiscountCodeBody({ percent: undefined }),
        OPS,
      );
      expect(noPercent.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'percent' }] });
      const noAmounts = await service.http.put(
        `/discount-codes/${code}`,
        aDiscountCodeBody({ kind: 'fixed', percent: undefined }),
        OPS,
      );
      expect(noAmounts.body).toMatchObject({ errors: [{ field: 'amounts' }] });
      const badScope = await service.http.put(`/discount-codes/${code}`, aDiscountCodeBody({ appliesTo: 'all' }), OPS);
      expect(badScope.body).toMatchObject({ errors: [{ field: 'appliesTo' }] });
      const window = await service.http.put(
        `/discount-codes/${code}`,
        aDiscountCodeBody({ validFrom: '2027-01-01T00:00:00Z', validUntil: '2026-12-01T00:00:00Z' }),
        OPS,
      );
      expect(window.body).toMatchObject({ errors: [{ field: 'validUntil' }] });
      expect((await service.http.put(`/discount-codes/${code}`, aDiscountCodeBody())).status).toBe(401);
      expect((await service.http.get(`/discount-codes/${code}`, OPS)).body).toMatchObject({
        code: 'DISCOUNT_CODE_NOT_FOUND',
      });
    });
  });

  it('splits a discount over two tax rates in proportion, exact to the minor unit, and pushes it to Klarna', async () => {
    const { http, klarna } = service;
    const code = await aDiscountCode(http, { percent: 1500 });
    const cart = await cartWith([
      { unitPrice: 12_345, taxRate: 2500 },
      { unitPrice: 6789, taxRate: 600, type: 'digital' },
    ]);
    const session = await http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);

    const applied = await apply(cart.id, code.toLowerCase());
    expect(applied.status).toBe(200);
    // 15 % of 19 134 = 2870 (rounded down), split 12 345 : 6789 -> 1851.7 + 1018.3 -> 1852 + 1018.
    expect(applied.body.discount).toEqual({ code, amount: 2870 });
    expect(discountsOf(applied.body)).toEqual([
      expect.objectContaining({
        reference: `${code}-600`,
        unitPrice: -1018,
        taxRate: 600,
        totalAmount: -1018,
        totalTaxAmount: -58,
      }),
      expect.objectContaining({
        reference: `${code}-2500`,
        unitPrice: -1852,
        taxRate: 2500,
        totalAmount: -1852,
        totalTaxAmount: -370,
      }),
    ]);
    expect(applied.body.orderAmount).toBe(19_134 - 2870);
    const atKlarna = await klarna.control<{ data: { order_amount: number; order_lines: OrderLineBody[] } }>(
      'GET',
      `/sessions/${session.body.sessionId}`,
    );
    expect(atKlarna.body.data.order_amount).toBe(16_264);
    expect(
      atKlarna.body.data.order_lines.filter((line) => line.type === 'discount').map((line) => line.unit_price),
    ).toEqual([-1018, -1852]);
  });

  it('takes a fixed amount off the items and shipping, one code per cart, and removes it', async () => {
    const { http } = service;
    const method = await aShippingMethod(http);
    const fixed = await aDiscountCode(http, {
      kind: 'fixed',
      percent: undefined,
      amounts: [{ currency: 'SEK', amount: 12_000 }],
      appliesTo: 'items_and_shipping',
    });
    const percent = await aDiscountCode(http, { percent: 1000 });
    const cart = await cartWith([{ unitPrice: 10_000 }]);
    await http.put(`/carts/${cart.id}/shipping`, { methodId: method });

    const first = await apply(cart.id, percent);
    expect(first.body.discount).toEqual({ code: percent, amount: 1000 });
    // A second code replaces the first; the fixed amount is capped at what it reduces (10 000 + 4900).
    const second = await apply(cart.id, fixed);
    expect(second.body.discount).toEqual({ code: fixed, amount: 12_000 });
    expect(discountsOf(second.body)).toHaveLength(1);
    expect(second.body.orderAmount).toBe(14_900 - 12_000);

    const removed = await http.delete<DiscountCart>(`/carts/${cart.id}/discount-codes/${fixed.toLowerCase()}`);
    expect(removed.status).toBe(200);
    expect(removed.body.discount).toBeNull();
    expect(discountsOf(removed.body)).toEqual([]);
    expect(removed.body.orderAmount).toBe(14_900);
  });

  it('refuses codes that do not apply with 422 DISCOUNT_CODE_INVALID and a reason, writing nothing', async () => {
    const { http } = service;
    const hour = 3600_000;
    const codes: [string, string][] = [
      ['unknown', unique('NOPE')],
      ['unknown', await aDiscountCode(http, { active: false })],
      ['expired', await aDiscountCode(http, { validUntil: new Date(Date.now() - hour).toISOString() })],
      ['not_started', await aDiscountCode(http, { validFrom: new Date(Date.now() + hour).toISOString() })],
      ['exhausted', await aDiscountCode(http, { maxRedemptions: 0 })],
      ['min_order', await aDiscountCode(http, { minOrder: [{ currency: 'SEK', amount: 50_000 }] })],
      [
        'currency',
        await aDiscountCode(http, { kind: 'fixed', percent: undefined, amounts: [{ currency: 'EUR', amount: 500 }] }),
      ],
    ];
    const cart = await cartWith([{ unitPrice: 10_000 }]);
    for (const [reason, code] of codes) {
      const refused = await apply(cart.id, code);
      expect({ reason, status: refused.status, body: refused.body }).toEqual({
        reason,
        status: 422,
        body: expect.objectContaining({ code: 'DISCOUNT_CODE_INVALID', reason }),
      });
    }
    expect((await http.get<DiscountCart>(`/carts/${cart.id}`)).body).toMatchObject({
      version: cart.version,
      discount: null,
    });
    const bad = await apply(cart.id, 'has space');
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'code' }] });
  });

  it('answers 429 TOO_MANY_ATTEMPTS after 10 failed codes on one cart, even for a good code', async () => {
    const good = await aDiscountCode(service.http);
    const cart = await cartWith([{}]);
    for (let attempt = 1; attempt <= 10; attempt++) {
      expect((await apply(cart.id, unique('GUESS'))).status).toBe(422);
    }
    const limited = await apply(cart.id, good);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another cart is not limited.
    const other = await cartWith([{}]);
    expect((await apply(other.id, good)).status).toBe(200);
  });

  it('drops a code that stops applying on a cart change, says so, and updates Klarna', async () => {
    const { http, klarna } = service;
    const code = await aDiscountCode(http, { minOrder: [{ currency: 'SEK', amount: 15_000 }] });
    const cart = await cartWith([{ unitPrice: 10_000 }, { unitPrice: 8000 }]);
    await apply(cart.id, code);
    const session = await http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
    const items = (await http.get<DiscountCart>(`/carts/${cart.id}`)).body.items;

    const changed = await http.delete<DiscountCart>(`/carts/${cart.id}/items/${items[1].id}`);
    expect(changed.body.discount).toBeNull();
    expect(changed.body.notices).toEqual([{ code: 'DISCOUNT_CODE_REMOVED', discountCode: code, reason: 'min_order' }]);
    expect(discountsOf(changed.body)).toEqual([]);
    const atKlarna = await klarna.control<{ data: { order_lines: OrderLineBody[] } }>(
      'GET',
      `/sessions/${session.body.sessionId}`,
    );
    expect(atKlarna.body.data.order_lines.map((line) => line.type)).toEqual(['physical']);
  });

  it('keeps the code when Klarna does not answer the push, and the retry brings the discount to Klarna', async () => {
    const { http, klarna } = service;
    const code = await aDiscountCode(http);
    const cart = await cartWith([{ unitPrice: 10_000 }]);
    const session = await http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
    await klarna.control('POST', '/faults', { operation: 'updateSession', failNext: 2, errorStatus: 503 });
    const applied = await apply(cart.id, code);
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ discount: { code, amount: 1000 }, klarna: { inSync: false } });
    const atKlarna = await eventually(async () => {
      const read = await klarna.control<{ data: { order_amount: number } }>(
        'GET',
        `/sessions/${session.body.sessionId}`,
      );
      return read.body.data.order_amount === 9000 ? read.body.data : undefined;
    }, 20_000);
    expect(atKlarna.order_amount).toBe(9000);
  });

  describe('redemption', () => {
    /** A cart with the code applied, a shipping method, a session and the shopper's authorization. */
    async function authorizedCartWithCode(code: string) {
      const { http, klarna } = service;
      const cart = await cartWith([{ unitPrice: 10_000 }]);
      await http.put(`/carts/${cart.id}/shipping`, { methodId: shipping });
      const applied = await apply(cart.id, code);
      if (applied.status !== 200) throw new Error(`apply: ${applied.status} ${JSON.stringify(applied.body)}`);
      const session = await http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
      return { cart, sessionId: session.body.sessionId, token: await klarna.authorize(session.body.sessionId) };
    }
    let shipping: string;
    beforeAll(async () => {
      shipping = await aShippingMethod(service.http);
    });
    const codeView = async (code: string) => (await service.http.get<CodeView>(`/discount-codes/${code}`, OPS)).body;

    it('records one redemption with the order, the discount lines in what Klarna receives', async () => {
      const code = await aDiscountCode(service.http, { maxRedemptions: 10 });
      const { cart, token } = await authorizedCartWithCode(code);
      const placed = await placeOrder(service, cart.id, token);
      expect(placed.status).toBe(201);
      const [created] = (await service.klarnaCalls('createOrder')).filter((call) => call.path.includes(token));
      const lines = created.body.order_lines as unknown as OrderLineBody[];
      expect(lines.map((line) => line.type)).toEqual(['physical', 'shipping_fee', 'discount']);
      expect(created.body.order_amount).toBe(14_900 - 1000);
      expect(await codeView(code)).toMatchObject({
        remainingRedemptions: 9,
        redemptions: [{ orderId: placed.body.orderId, cartId: cart.id, amount: 1000, status: 'redeemed' }],
      });
    });

    it('counts one use when the answer to create order was lost and the retry places it', async () => {
      const code = await aDiscountCode(service.http, { maxRedemptions: 10 });
      const { cart, token } = await authorizedCartWithCode(code);
      await service.klarna.control('POST', '/faults', { operation: 'createOrder', timeoutAfterProcessing: 1 });
      const placed = await placeOrder(service, cart.id, token);
      expect(placed.status).toBe(201);
      expect((await codeView(code)).redemptions).toEqual([expect.objectContaining({ status: 'redeemed' })]);
      expect((await codeView(code)).remainingRedemptions).toBe(9);
    });

    it('gives the use back when Klarna refuses the order (failed), keeping the row as released', async () => {
      const code = await aDiscountCode(service.http, { maxRedemptions: 1 });
      const { cart, token } = await authorizedCartWithCode(code);
      await service.klarna.control('POST', '/faults', { operation: 'createOrder', failNext: 1, errorStatus: 403 });
      const refused = await placeOrder(service, cart.id, token);
      expect(refused.status).toBe(422);
      const view = await codeView(code);
      expect(view.remainingRedemptions).toBe(1);
      expect(view.redemptions).toEqual([expect.objectContaining({ cartId: cart.id, status: 'released' })]);
      // The use is free again: another cart can take it.
      const next = await authorizedCartWithCode(code);
      expect((await placeOrder(service, next.cart.id, next.token)).status).toBe(201);
    });

    it('keeps redemptions in SQL: never deleted, never back from released', async () => {
      const code = await aDiscountCode(service.http, { maxRedemptions: 1 });
      const { cart, token } = await authorizedCartWithCode(code);
      await service.klarna.control('POST', '/faults', { operation: 'createOrder', failNext: 1, errorStatus: 403 });
      await placeOrder(service, cart.id, token);
      const { database } = service;
      await expect(database.query(`DELETE FROM discount_redemption WHERE cart_id = $1`, [cart.id])).rejects.toThrow(
        /never deleted/,
      );
      await expect(
        database.query(`UPDATE discount_redemption SET status = 'redeemed' WHERE cart_id = $1`, [cart.id]),
      ).rejects.toThrow(/cannot move back/);
      await expect(
        database.query(`UPDATE discount_code SET redeemed_count = 2 WHERE code_key = $1`, [code.toLowerCase()]),
      ).rejects.toThrow(/discount_code_redeemed_count_check/);
    });

    it('refuses with CART_CHANGED when the last use went meanwhile, also while Klarna does not answer the push', async () => {
      const { http, klarna } = service;
      const code = await aDiscountCode(http, { maxRedemptions: 1 });
      const first = await authorizedCartWithCode(code);
      const second = await authorizedCartWithCode(code);
      expect((await placeOrder(service, first.cart.id, first.token)).status).toBe(201);

      await klarna.control('POST', '/faults', { operation: 'updateSession', failNext: 2, errorStatus: 503 });
      const refused = await placeOrder(service, second.cart.id, second.token);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({
        code: 'CART_CHANGED',
        details: { changes: [{ code: 'DISCOUNT_CODE_REMOVED', discountCode: code, reason: 'exhausted' }] },
      });
      expect((await http.get<DiscountCart>(`/carts/${second.cart.id}`)).body).toMatchObject({ discount: null });
      // The push failed; the retry brings Klarna's session to the cart without the code.
      await eventually(async () => {
        const read = await klarna.control<{ data: { order_amount: number } }>('GET', `/sessions/${second.sessionId}`);
        return read.body.data.order_amount === 14_900 ? true : undefined;
      }, 20_000);
      expect((await codeView(code)).redemptions).toHaveLength(1);
    });

    it('redeems a code with 5 uses left exactly 5 times when 20 carts place at once; 15 get CART_CHANGED', async () => {
      const { http, klarna } = service;
      const code = await aDiscountCode(http, { maxRedemptions: 5 });
      const carts = [];
      for (let index = 0; index < 20; index++) carts.push(await authorizedCartWithCode(code));
      expect((await codeView(code)).redemptions).toHaveLength(0);

      const answers = await Promise.all(carts.map(({ cart, token }) => placeOrder(service, cart.id, token)));
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status === 201)).toHaveLength(5);
      expect(statuses.filter((status) => status === 409)).toHaveLength(15);
      const view = await codeView(code);
      expect(view.redemptions.filter((redemption) => redemption.status === 'redeemed')).toHaveLength(5);
      expect(view.remainingRedemptions).toBe(0);

      const placedTokens = new Set(carts.filter((_, index) => statuses[index] === 201).map(({ token }) => token));
      const created = (await service.klarnaCalls('createOrder')).filter((call) =>
        [...placedTokens].some((token) => call.path.includes(token)),
      );
      expect(created).toHaveLength(5);
      for (const call of created) {
        expect((call.body.order_lines as unknown as OrderLineBody[]).some((line) => line.type === 'discount')).toBe(
          true,
        );
      }
      // The losers: re-priced without the code, told why, and Klarna's session follows.
      const loser = carts[statuses.indexOf(409)];
      const refused = answers[statuses.indexOf(409)];
      expect(refused.body).toMatchObject({
        code: 'CART_CHANGED',
        details: { changes: [{ code: 'DISCOUNT_CODE_REMOVED', discountCode: code, reason: 'exhausted' }] },
      });
      const after = (await http.get<DiscountCart>(`/carts/${loser.cart.id}`)).body;
      expect(after).toMatchObject({ discount: null, orderAmount: 14_900 });
      const atKlarna = await klarna.control<{ data: { order_amount: number } }>('GET', `/sessions/${loser.sessionId}`);
      expect(atKlarna.body.data.order_amount).toBe(14_900);
      // The shopper reauthorizes and places without the code.
      const again = await klarna.authorize(loser.sessionId);
      expect((await placeOrder(service, loser.cart.id, again)).status).toBe(201);
    });
  });
});
