/**
 * The storefront's checkout with PAYMENT_GATEWAY=cybersource: the same REST API, Klarna reached through the
 * CyberSource simulator (signed SOAP). The lead's parameterized runs of the other suites build on this setup
 * (startTestApp({ PAYMENT_GATEWAY: 'cybersource' })).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { addItem, anItem, createCart, createCartWithSession, type CartBody } from '../factories/cart.factory.js';
import type { HttpClient } from '../support/http.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { CyberSourceSide } from './cybersource-test-kit.js';

interface Placement {
  orderId: string;
  klarnaOrderId: string | null;
  status: string;
  fraudStatus: string | null;
}

describe('checkout through CyberSource', () => {
  let service: TestApp;
  let http: HttpClient;
  let cyberSource: CyberSourceSide;

  beforeAll(async () => {
    service = await startTestApp({ PAYMENT_GATEWAY: 'cybersource', AUTHORIZATION_CALLBACK_GRACE_MS: '600000' });
    http = service.http;
    cyberSource = service.cyberSource!;
  });
  afterAll(() => service.close());
  beforeEach(async () => {
    await cyberSource.control('DELETE', '/faults');
  });

  it('opens the session at CyberSource: one payment method category, the processor token as client token', async () => {
    const cart = await createCart(http, { purchaseCountry: 'DE', purchaseCurrency: 'EUR', locale: 'de-DE' });
    await addItem(http, cart.id, { quantity: 2, unitPrice: 5950, taxRate: 1900, country: 'DE', currency: 'EUR' });
    const session = await http.post<{ sessionId: string; clientToken: string; paymentMethodCategories: unknown[] }>(
      `/carts/${cart.id}/klarna-session`,
    );
    expect(session.status).toBe(201);
    expect(session.body.sessionId).toMatch(/^\d{22}$/);
    expect(session.body.clientToken).toMatch(/^cs-sim\./);
    expect(session.body.paymentMethodCategories).toEqual([{ identifier: 'klarna', name: 'Klarna' }]);
    expect(await service.klarnaCalls()).toEqual([]);
    const [call] = await cyberSource.calls('createSession');
    expect(call.fields).toMatchObject({ purchaseTotals_grandTotalAmount: '119.00', billTo_country: 'DE' });
  });

  it('pushes every cart change as a session update (sessionsType U) inside the change', async () => {
    const { cart, session } = await createCartWithSession(http, [{ quantity: 1, unitPrice: 10_000 }]);
    const changed = await http.post<CartBody>(
      `/carts/${cart.id}/items`,
      await anItem(http, { name: 'Socks', quantity: 3, unitPrice: 1_000 }),
    );
    expect(changed.status).toBe(201);
    expect(changed.body.klarna).toMatchObject({ inSync: true, action: 'load' });
    const updates = (await cyberSource.calls('updateSession')).filter(
      (call) => call.fields.apSessionsService_sessionsRequestID === session.sessionId,
    );
    expect(updates.at(-1)?.fields).toMatchObject({
      purchaseTotals_currency: 'SEK',
      purchaseTotals_grandTotalAmount: '130.00',
      item_1_quantity: '3',
    });
  });

  it('shows an unknown outcome (150) as a sync error and keeps the change', async () => {
    const { cart } = await createCartWithSession(http);
    await cyberSource.control('POST', '/faults', { operation: 'updateSession', failNext: 1, reasonCode: 150 });
    const changed = await http.post<CartBody>(
      `/carts/${cart.id}/items`,
      await anItem(http, { name: 'Cap', unitPrice: 500 }),
    );
    expect(changed.status).toBe(201);
    expect(changed.body.klarna).toMatchObject({ inSync: false, syncError: { errorCode: 'SYSTEM_ERROR' } });
  });

  it('places the order with apAuthService: the authorization request id is the Klarna order id', async () => {
    const { cart, session } = await createCartWithSession(http, [{ quantity: 2, unitPrice: 10_000 }]);
    const token = await cyberSource.authorize(session.sessionId);
    const placed = await http.post<Placement>(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: token,
    });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ fraudStatus: 'ACCEPTED' });
    expect(placed.body.klarnaOrderId).toMatch(/^\d{22}$/);
    const [auth] = (await cyberSource.calls('authorize')).filter(
      (call) => call.requestID === placed.body.klarnaOrderId,
    );
    expect(auth.fields).toMatchObject({
      merchantReferenceCode: placed.body.orderId,
      purchaseTotals_grandTotalAmount: '200.00',
    });
  });

  it('refuses a declined authorization with KLARNA_REJECTED and keeps the placement as failed', async () => {
    const { cart, session } = await createCartWithSession(http);
    const token = await cyberSource.authorize(session.sessionId, 'declined');
    const placed = await http.post(`/carts/${cart.id}/klarna-session/authorizations`, { authorizationToken: token });
    expect(placed.status).toBe(422);
    expect(placed.body).toMatchObject({ code: 'KLARNA_REJECTED' });
    // The refused placement is kept, terminal, with CyberSource's answer (money rows are never deleted).
    const orders = await service.database.query('SELECT status, klarna_order_id FROM "order" WHERE cart_id = $1', [
      cart.id,
    ]);
    expect(orders.rows).toEqual([{ status: 'failed', klarna_order_id: null }]);
  });
});
