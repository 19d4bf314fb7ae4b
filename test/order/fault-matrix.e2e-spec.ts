import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addItem, createCart, type CartBody } from '../factories/cart.factory.js';
import { type Placement } from '../factories/checkout.factory.js';
import { eventually, startTestApp, type RecordedKlarnaCall, type TestApp } from '../support/test-app.js';
import { faultMatrixTable } from '../support/fault-matrix-table.js';

/**
 * The money-safety fault matrix: for each Klarna call on the checkout path and each way it can fail, a whole
 * checkout runs while the storefront, Klarna's authorization callback and its push race; then the fault ends and
 * background work finishes. After every case the invariants hold:
 *   I1 at most one Klarna order per cart;
 *   I2 every Klarna order's merchant_reference1 is an order of ours that knows Klarna's order id;
 *   I3 Klarna's session holds exactly our cart's latest version;
 *   I4 no order row was deleted (every merchant_reference1 Klarna was sent is a row of ours);
 *   I5 nothing is left placing (or needing attention), and every authorization that was superseded is released.
 */
const CALLS = [
  'createSession',
  'updateSession',
  'createOrder',
  'readSession',
  'getOrder',
  'cancelAuthorization',
] as const;

const FAULTS: Record<string, Record<string, unknown>> = {
  'timeout before Klarna applies': { timeout: true },
  'timeout after Klarna applies': { timeoutAfterProcessing: 1000 },
  '5xx': { errorRate: 1, errorStatus: 503 },
  '429': { errorRate: 1, errorStatus: 429 },
  'cut connection': { cutConnectionAfterProcessing: 1000 },
  'unreadable 2xx body': { unreadableAnswer: 1000 },
};

/** Calls that happen only after an ambiguous push: the matrix makes one happen so the fault has something to hit. */
const TRIGGERS: Partial<Record<(typeof CALLS)[number], Record<string, unknown>>> = {
  readSession: { operation: 'updateSession', timeoutAfterProcessing: 1 },
};

const results = new Map<string, Map<string, string>>();

describe('fault matrix: exactly one Klarna order we know about, or a released token', () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startTestApp({
      AUTHORIZATION_CALLBACK_GRACE_MS: '0',
      KLARNA_TIMEOUT_MS: '300',
      KLARNA_RETRY_MAX_DELAY_MS: '1000',
      PLACEMENT_ATTENTION_AFTER_MS: '60000',
    });
  });
  afterAll(async () => {
    printMatrix();
    await service.close();
  });

  for (const call of CALLS) {
    describe(call, () => {
      for (const [faultName, rule] of Object.entries(FAULTS)) {
        it(`holds the invariants with ${faultName}`, async () => {
          const row = results.get(call) ?? new Map<string, string>();
          results.set(call, row);
          row.set(faultName, 'FAIL');
          await checkoutUnderFault(service, call, rule);
          row.set(faultName, 'pass');
        }, 60_000);
      }
    });
  }
});

async function checkoutUnderFault(
  service: TestApp,
  call: (typeof CALLS)[number],
  rule: Record<string, unknown>,
): Promise<void> {
  const { http, klarna, database } = service;
  await klarna.control('DELETE', '/faults');
  await klarna.control('DELETE', '/callback-faults');
  const trigger = TRIGGERS[call];
  if (trigger) await klarna.control('POST', '/faults', trigger);
  await klarna.control('POST', '/faults', { operation: call, ...rule });

  // The storefront's checkout while Klarna misbehaves.
  const cart = await createCart(http);
  const item = (await addItem(http, cart.id, { quantity: 1 })).items[0];
  const opened = await http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
  expect([201, 503]).toContain(opened.status);
  let sessionId: string | undefined = opened.status === 201 ? opened.body.sessionId : undefined;
  if (sessionId) {
    await klarna.authorize(sessionId);
    // A change after the first authorization: that token is superseded (and must be released).
    const changed = await http.patch<CartBody>(`/carts/${cart.id}/items/${item.id}`, { quantity: 2 });
    expect(changed.status).toBe(200);
    sessionId = changed.body.klarna?.sessionId ?? sessionId;
    const token = await klarna.authorize(sessionId);
    // The storefront hands the token over while Klarna's callback (no grace period) places it too.
    const placed = await http.post<Placement>(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: token,
    });
    expect([200, 201, 409, 422, 503]).toContain(placed.status);
  }

  // The fault ends; the storefront carries on as a shopper would, and background work finishes.
  await klarna.control('DELETE', '/faults');
  await storefrontFinishes(service, cart.id);
  await eventually(async () => ((await openPlacements(service, cart.id)) === 0 ? true : undefined), 30_000);
  await eventually(async () => ((await unreleased(service, cart.id)) === 0 ? true : undefined), 30_000);

  // I4: every order Klarna was asked to create names a row of ours.
  const ours = await database.query<{ id: string; status: string; klarna_order_id: string | null }>(
    'SELECT id, status, klarna_order_id FROM "order" WHERE cart_id = $1',
    [cart.id],
  );
  const orderCalls = await callsForCart(service, cart.id);
  for (const request of orderCalls) {
    expect(ours.rows.map((row) => row.id)).toContain(request.body.merchant_reference1);
  }
  // I1: one Klarna order at most (here: exactly one, the checkout went through).
  const klarnaOrderIds = new Set(
    orderCalls
      .map((request) => (request.response as { order_id?: string } | null)?.order_id)
      .filter((id): id is string => typeof id === 'string'),
  );
  expect(klarnaOrderIds.size).toBe(1);
  // I2: Klarna's order names our order, which knows Klarna's id.
  for (const klarnaOrderId of klarnaOrderIds) {
    const atKlarna = await klarna.control<{ merchant_reference1: string }>('GET', `/orders/${klarnaOrderId}`);
    const row = ours.rows.find((candidate) => candidate.id === atKlarna.body.merchant_reference1);
    expect(row).toMatchObject({ klarna_order_id: klarnaOrderId });
    expect(['placed', 'confirmed']).toContain(row?.status);
  }
  // I5: nothing open; the rest failed (kept, never deleted).
  expect(ours.rows.filter((row) => !['placed', 'confirmed', 'failed'].includes(row.status))).toEqual([]);
  // I3: Klarna's session holds our cart's latest version.
  const final = (await http.get<CartBody>(`/carts/${cart.id}`)).body;
  expect(final.status).toBe('ordered');
  const held = await klarna.control<{ data: { order_amount: number; order_lines: { quantity: number }[] } }>(
    'GET',
    `/sessions/${final.klarna?.sessionId}`,
  );
  expect(held.body.data.order_amount).toBe(final.orderAmount);
  expect(held.body.data.order_lines.map((line) => line.quantity)).toEqual(final.items.map((line) => line.quantity));
}

/** What a storefront does once Klarna answers again: finish the checkout with a fresh authorization if needed. */
async function storefrontFinishes(service: TestApp, cartId: string): Promise<void> {
  const { http, klarna } = service;
  await eventually(async () => {
    // Open placements first: one that completes between the two reads then shows as an ordered cart.
    if ((await openPlacements(service, cartId)) > 0) return undefined;
    const cart = (await http.get<CartBody>(`/carts/${cartId}`)).body;
    if (cart.status === 'ordered') return true;
    if (!cart.klarna) {
      await http.post(`/carts/${cartId}/klarna-session`);
      return undefined;
    }
    if (!cart.klarna.inSync) return undefined;
    const authorized = await klarna.control<{ authorization_token?: string }>(
      'POST',
      `/sessions/${cart.klarna.sessionId}/authorize`,
      {},
    );
    // 409 SESSION_COMPLETED: an order was created meanwhile; the next round sees it.
    if (!authorized.body.authorization_token) return undefined;
    const placed = await http.post(`/carts/${cartId}/klarna-session/authorizations`, {
      authorizationToken: authorized.body.authorization_token,
    });
    return placed.status === 201 || placed.status === 200 ? true : undefined;
  }, 30_000);
}

async function openPlacements(service: TestApp, cartId: string): Promise<number> {
  const { rows } = await service.database.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "order" WHERE cart_id = $1 AND status IN ('placing', 'needs_attention')`,
    [cartId],
  );
  return rows[0].n;
}

/** Authorizations that will never become an order, still valid at Klarna, and not released. */
async function unreleased(service: TestApp, cartId: string): Promise<number> {
  const { rows } = await service.database.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM klarna_authorization
     WHERE cart_id = $1 AND status IN ('stale', 'cancelled', 'expired') AND released_at IS NULL AND expires_at > now()`,
    [cartId],
  );
  return rows[0].n;
}

/** The create-order requests Klarna received for this cart (its push URL names the cart). */
async function callsForCart(service: TestApp, cartId: string): Promise<RecordedKlarnaCall[]> {
  return (await service.klarnaCalls('createOrder')).filter((call) =>
    JSON.stringify(call.body.merchant_urls ?? {}).includes(cartId),
  );
}

function printMatrix(): void {
  const table = faultMatrixTable(CALLS, Object.keys(FAULTS), results);
  console.log(`Fault matrix (call × fault -> invariants I1–I5)\n${table}`);
}
