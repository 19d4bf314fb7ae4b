/**
 * test/klarna-session/session-sync.e2e-spec.ts with PAYMENT_GATEWAY=cybersource: the behaviours of the cart ↔
 * session sync that apply to a PSP, asserted on what the CyberSource simulator received (signed SOAP, name-value
 * fields). What cannot apply is listed in the README's "Klarna through CyberSource" section.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { addItem, anItem, createCart, createCartWithSession, type CartBody } from '../factories/cart.factory.js';
import type { HttpClient } from '../support/http.js';
import { OPS_API_KEY, eventually, startTestApp, type TestApp } from '../support/test-app.js';
import type { CyberSourceSide } from './cybersource-test-kit.js';

const ops = { authorization: `Bearer ${OPS_API_KEY}` };

/** SEK has two decimals: the grand total CyberSource is sent for an amount in minor units. */
const sek = (minor: number) => (minor / 100).toFixed(2);

describe('cart and Klarna session stay in sync through CyberSource', () => {
  let service: TestApp;
  let http: HttpClient;
  let cyberSource: CyberSourceSide;

  const updatesOf = async (sessionId: string) =>
    (await cyberSource.calls('updateSession')).filter(
      (call) => call.fields.apSessionsService_sessionsRequestID === sessionId,
    );
  const heldBy = async (sessionId: string) =>
    (await cyberSource.control<{ content: { fields: Record<string, string> } }>('GET', `/sessions/${sessionId}`)).body
      .content.fields;

  beforeAll(async () => {
    service = await startTestApp({ PAYMENT_GATEWAY: 'cybersource', AUTHORIZATION_CALLBACK_GRACE_MS: '600000' });
    http = service.http;
    cyberSource = service.cyberSource!;
  });
  afterAll(() => service.close());
  beforeEach(async () => {
    await cyberSource.control('DELETE', '/faults');
  });

  it('touches neither CyberSource nor Klarna while the cart has no session', async () => {
    const before = (await cyberSource.calls()).length;
    const cart = await createCart(http);
    await addItem(http, cart.id);
    expect((await http.get<CartBody>(`/carts/${cart.id}`)).body.klarna).toBeNull();
    expect((await cyberSource.calls()).length).toBe(before);
    expect(await service.klarnaCalls()).toEqual([]);
  });

  it('pushes every change as one session update (sessionsType U), within the request', async () => {
    const { cart, session } = await createCartWithSession(http);
    const added = await addItem(http, cart.id, { unitPrice: 4900, type: 'digital', name: 'Training plan' });
    expect(added.klarna).toMatchObject({ inSync: true, action: 'load', syncedVersion: added.version, syncError: null });
    const updates = await updatesOf(session.sessionId);
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ decision: 'ACCEPT', reasonCode: 100 });
    expect(updates[0].fields).toMatchObject({
      apSessionsService_sessionsType: 'U',
      purchaseTotals_currency: 'SEK',
      purchaseTotals_grandTotalAmount: sek(added.orderAmount),
      item_1_unitPrice: '49.00',
    });

    const removed = await http.delete<CartBody>(`/carts/${cart.id}/items/${added.items[1].id}`);
    expect(removed.body.klarna).toMatchObject({ action: 'load', inSync: true });
    expect(await updatesOf(session.sessionId)).toHaveLength(2);
    expect((await heldBy(session.sessionId)).purchaseTotals_grandTotalAmount).toBe(sek(removed.body.orderAmount));
  });

  it('sends nothing when a change leaves the session’s content identical', async () => {
    const { cart, session } = await createCartWithSession(http, [{ quantity: 2 }]);
    const unchanged = await http.patch<CartBody>(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity: 2 });
    expect(unchanged.status).toBe(200);
    expect(unchanged.body.klarna).toMatchObject({
      action: 'none',
      inSync: true,
      syncedVersion: unchanged.body.version,
    });
    expect(await updatesOf(session.sessionId)).toHaveLength(0);
  });

  it('creates a new session when country and currency change, and never updates the old one', async () => {
    const { cart, session } = await createCartWithSession(http);
    await http.put('/catalog/tax-rates/NO/rate-2500', { rate: 2500 }, ops);
    await http.patch(
      `/catalog/products/${cart.items[0].reference}`,
      { prices: [{ currency: 'NOK', unitPrice: 12_000 }] },
      ops,
    );
    const moved = await http.patch<CartBody>(`/carts/${cart.id}`, {
      purchaseCountry: 'NO',
      purchaseCurrency: 'NOK',
      locale: 'nb-NO',
    });
    expect(moved.status).toBe(200);
    expect(moved.body.klarna).toMatchObject({ action: 'init', inSync: true });
    expect(moved.body.klarna?.sessionId).not.toBe(session.sessionId);
    const [created] = (await cyberSource.calls('createSession')).filter(
      (call) => call.requestID === moved.body.klarna?.sessionId,
    );
    expect(created.fields).toMatchObject({
      billTo_country: 'NO',
      purchaseTotals_currency: 'NOK',
      purchaseTotals_grandTotalAmount: '120.00',
    });
    expect(await updatesOf(session.sessionId)).toHaveLength(0);
  });

  it('creates a new session when CyberSource no longer knows the old one (48 hours passed)', async () => {
    const { cart, session } = await createCartWithSession(http);
    await cyberSource.control('POST', '/clock', { advanceMs: 49 * 3600_000 });
    try {
      const changed = await addItem(http, cart.id);
      expect(changed.klarna).toMatchObject({ action: 'init', inSync: true });
      expect(changed.klarna?.sessionId).not.toBe(session.sessionId);
      const [refused] = await updatesOf(session.sessionId);
      expect(refused).toMatchObject({ reasonCode: 102 });
    } finally {
      await cyberSource.control('POST', '/clock', { advanceMs: -49 * 3600_000 });
    }
  });

  it('marks the authorization stale and asks for reauthorization when the cart changes after it', async () => {
    const { cart, session } = await createCartWithSession(http);
    const token = await cyberSource.authorize(session.sessionId);
    const held = await http.post(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: token,
      finalize: false,
    });
    expect(held.status).toBe(201);
    const changed = await addItem(http, cart.id);
    expect(changed.klarna).toMatchObject({ action: 'reauthorize', inSync: true });
    const order = await http.post(`/carts/${cart.id}/order`);
    expect(order.status).toBe(409);
    expect(order.body).toMatchObject({ code: 'REAUTHORIZATION_REQUIRED' });
    // The stale token was never sent to apAuthService.
    expect(
      (await cyberSource.calls('authorize')).filter((call) => call.fields.apAuthService_preapprovalToken === token),
    ).toEqual([]);
  });

  it('keeps the change when CyberSource answers 150, and a background retry brings the session up to date', async () => {
    const { cart, session } = await createCartWithSession(http);
    await cyberSource.control('POST', '/faults', { operation: 'updateSession', failNext: 2, reasonCode: 150 });
    const changed = await http.post<CartBody>(`/carts/${cart.id}/items`, await anItem(http, { name: 'Kept' }));
    expect(changed.status).toBe(201);
    expect(changed.body.items).toHaveLength(2);
    expect(changed.body.klarna).toMatchObject({
      inSync: false,
      syncedVersion: cart.version,
      syncError: { errorCode: 'SYSTEM_ERROR', correlationId: expect.stringMatching(/^\d{22}$/) },
    });
    const synced = await eventually(async () => {
      const read = await http.get<CartBody>(`/carts/${cart.id}`);
      return read.body.klarna?.inSync ? read.body : undefined;
    }, 20_000);
    expect(synced.klarna).toMatchObject({ syncedVersion: changed.body.version, syncError: null });
    expect((await heldBy(session.sessionId)).purchaseTotals_grandTotalAmount).toBe(sek(changed.body.orderAmount));
  });

  it('converges: after 20 concurrent changes CyberSource holds exactly the final cart (those beyond the queue are 429)', async () => {
    const { cart, session } = await createCartWithSession(http);
    const itemId = cart.items[0].id;
    const lines = await Promise.all(
      Array.from({ length: 20 }, (_, index) => anItem(http, { unitPrice: 1000 + index })),
    );
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        index % 2 === 0
          ? http.patch<CartBody>(`/carts/${cart.id}/items/${itemId}`, { quantity: index + 2 })
          : http.post<CartBody>(`/carts/${cart.id}/items`, lines[index]),
      ),
    );
    const accepted = answers.filter((answer) => answer.status === 200 || answer.status === 201);
    const busy = answers.filter((answer) => answer.status === 429);
    expect(accepted.length + busy.length).toBe(20);
    expect(accepted.length).toBeGreaterThanOrEqual(9);
    for (const answer of busy) expect(answer.body).toMatchObject({ code: 'CART_BUSY' });
    const final = (await http.get<CartBody>(`/carts/${cart.id}`)).body;
    expect(final.version).toBe(cart.version + accepted.length);
    expect(final.klarna).toMatchObject({ inSync: true, syncedVersion: final.version });
    const held = await heldBy(session.sessionId);
    expect(held.purchaseTotals_grandTotalAmount).toBe(sek(final.orderAmount));
    expect(final.items.map((_, index) => [held[`item_${index}_quantity`], held[`item_${index}_unitPrice`]])).toEqual(
      final.items.map((item) => [String(item.quantity), sek(item.unitPrice)]),
    );
  });
});
