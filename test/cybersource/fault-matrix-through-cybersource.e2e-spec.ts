import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addItem, createCart, type CartBody } from '../factories/cart.factory.js';
import type { Placement } from '../factories/checkout.factory.js';
import { OPS_API_KEY, eventually, startTestApp, type TestApp } from '../support/test-app.js';
import { faultMatrixTable } from '../support/fault-matrix-table.js';
import type { CyberSourceSide } from './cybersource-test-kit.js';

/**
 * The fault matrix of test/order/fault-matrix.e2e-spec.ts with PAYMENT_GATEWAY=cybersource: for each CyberSource
 * call on the checkout path and each fault the CyberSource simulator injects, a whole checkout runs while the
 * storefront and the background jobs race (CyberSource sends Klarna's callbacks to nobody: the storefront hands the
 * token over, the jobs retry). Then the fault ends and background work finishes. After every case:
 *   I1 at most one live authorization (= Klarna order) per cart at CyberSource;
 *   I2 it names an order of ours (merchantReferenceCode) that knows its request id, placed;
 *   I3 CyberSource's session holds our cart's latest version;
 *   I4 no order row was deleted (every merchantReferenceCode sent to apAuthService is a row of ours);
 *   I5 nothing is left placing (or needing attention), and every superseded authorization is released.
 *
 * One row of cells cannot reach I2/I5 without ops through the Simple Order API: an apAuthService that CyberSource
 * applied but whose answer was lost (timeout after applying, 151/152 after applying, cut connection, unreadable
 * answer). Check status of the session then says COMPLETED, but nothing names the authorization's request id, and
 * CyberSource sends no push. The service never guesses: the order goes to needs_attention with exactly one
 * authorization at CyberSource; ops find it by merchantReferenceCode (our order id) and resolve the placement
 * (POST /orders/:id/resolve, matched on amount and currency). Those cells print `ops resolve`, then assert I1–I5.
 *
 * The full matrix (5 calls × 7 faults) takes several minutes on a loaded machine; by default a representative
 * subset runs (every fault on authorize and update session, the unknown outcomes on the rest). Set
 * CYBERSOURCE_FULL_FAULT_MATRIX=1 for all of it.
 */
const CALLS = ['createSession', 'updateSession', 'authorize', 'reverseAuthorization', 'checkStatus'] as const;
type Call = (typeof CALLS)[number];

const FAULTS: Record<string, Record<string, unknown>> = {
  'timeout before applying': { timeout: true },
  'timeout after applying': { timeoutAfterProcessing: 1000 },
  '150 before applying': { errorRate: 1, reasonCode: 150 },
  '151 after applying': { errorRate: 1, reasonCode: 151, afterProcessing: true },
  '152 after applying': { errorRate: 1, reasonCode: 152, afterProcessing: true },
  'cut connection': { cutConnectionAfterProcessing: 1000 },
  'unreadable answer': { unreadableAnswerAfterProcessing: 1000 },
};
type Fault = keyof typeof FAULTS;

/** The faults whose request CyberSource applied before the answer was lost. */
const APPLIED = new Set<Fault>([
  'timeout after applying',
  '151 after applying',
  '152 after applying',
  'cut connection',
  'unreadable answer',
]);

const FULL = process.env.CYBERSOURCE_FULL_FAULT_MATRIX === '1';
const SUBSET: Record<Call, Fault[]> = {
  createSession: ['timeout before applying', '151 after applying', 'cut connection'],
  updateSession: Object.keys(FAULTS),
  authorize: Object.keys(FAULTS),
  reverseAuthorization: ['timeout after applying'],
  checkStatus: ['150 before applying', 'unreadable answer'],
};

/** Calls that happen only after an ambiguous push: the matrix makes one happen so the fault has something to hit. */
const TRIGGERS: Partial<Record<Call, Record<string, unknown>>> = {
  checkStatus: { operation: 'updateSession', timeoutAfterProcessing: 1 },
};

const OPS = { authorization: `Bearer ${OPS_API_KEY}` };

const results = new Map<Call, Map<string, string>>();

describe('fault matrix through CyberSource: one authorization we know about, or one that needs attention', () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startTestApp({
      PAYMENT_GATEWAY: 'cybersource',
      KLARNA_TIMEOUT_MS: '300',
      KLARNA_RETRY_MAX_DELAY_MS: '1000',
      // Placements that stay unknown are handed to ops quickly here; those that resolve later leave the state.
      PLACEMENT_ATTENTION_AFTER_MS: '4000',
    });
  });
  afterAll(async () => {
    printMatrix();
    await service.close();
  });

  for (const call of CALLS) {
    describe(call, () => {
      for (const faultName of Object.keys(FAULTS)) {
        const run = FULL || SUBSET[call].includes(faultName);
        (run ? it : it.skip)(
          `holds the invariants with ${faultName}`,
          async () => {
            const row = results.get(call) ?? new Map<string, string>();
            results.set(call, row);
            row.set(faultName, 'FAIL');
            row.set(faultName, await checkoutUnderFault(service, call, faultName));
          },
          90_000,
        );
      }
    });
  }
});

async function checkoutUnderFault(service: TestApp, call: Call, faultName: Fault): Promise<string> {
  const { http } = service;
  const cyberSource = service.cyberSource!;
  await cyberSource.control('DELETE', '/faults');
  const callsBefore = (await cyberSource.calls()).length;
  const trigger = TRIGGERS[call];
  if (trigger) await cyberSource.control('POST', '/faults', trigger);
  await cyberSource.control('POST', '/faults', { operation: call, ...FAULTS[faultName] });

  // The storefront's checkout while CyberSource misbehaves.
  const cart = await createCart(http);
  const item = (await addItem(http, cart.id, { quantity: 1 })).items[0];
  const opened = await http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
  expect([201, 503]).toContain(opened.status);
  let sessionId: string | undefined = opened.status === 201 ? opened.body.sessionId : undefined;
  if (sessionId) {
    await cyberSource.authorize(sessionId);
    // A change after the first authorization: that token is superseded (and must be released).
    const changed = await http.patch<CartBody>(`/carts/${cart.id}/items/${item.id}`, { quantity: 2 });
    expect(changed.status).toBe(200);
    sessionId = changed.body.klarna?.sessionId ?? sessionId;
    const token = await authorizeIfOpen(cyberSource, sessionId);
    if (token) {
      const placed = await http.post<Placement>(`/carts/${cart.id}/klarna-session/authorizations`, {
        authorizationToken: token,
      });
      expect([200, 201, 409, 422, 503]).toContain(placed.status);
    }
  }

  // A read-back happens in the background after the ambiguous push: the fault lasts until it met one (or 15 s).
  if (trigger) {
    await eventually(
      async () => ((await faultedCalls(cyberSource, callsBefore, call)) > 0 ? true : undefined),
      15_000,
    ).catch(() => undefined);
  }
  // The fault ends; the storefront carries on as a shopper would, and background work finishes.
  await cyberSource.control('DELETE', '/faults');
  const during = (await cyberSource.calls()).slice(callsBefore);
  const hit = during.some((recorded) => recorded.operation === call && recorded.fault !== undefined);
  const lostByFault = call === 'authorize' && APPLIED.has(faultName) && hit;
  let lostAuthorization = lostByFault;
  if (lostByFault) {
    await eventually(
      async () => ((await statusesOf(service, cart.id)).includes('needs_attention') ? true : undefined),
      30_000,
    );
  } else {
    lostAuthorization = (await storefrontFinishes(service, cart.id)) === 'answer lost';
    if (!lostAuthorization) {
      await eventually(async () => ((await openPlacements(service, cart.id)) === 0 ? true : undefined), 30_000);
    }
  }
  await eventually(async () => ((await unreleased(service, cart.id)) === 0 ? true : undefined), 30_000);

  const ours = await service.database.query<{ id: string; status: string; klarna_order_id: string | null }>(
    'SELECT id, status, klarna_order_id FROM "order" WHERE cart_id = $1',
    [cart.id],
  );
  const ourIds = ours.rows.map((row) => row.id);
  // I4: every apAuthService of this case names a row of ours (the merchant reference code is our order id). An
  // order of an earlier case that waits for ops may still be retried meanwhile: its row exists too.
  const authorizeCalls = (await cyberSource.calls())
    .slice(callsBefore)
    .filter((recorded) => recorded.operation === 'authorize');
  const references = [...new Set(authorizeCalls.map((recorded) => recorded.fields.merchantReferenceCode ?? ''))];
  const kept = await service.database.query<{ id: string }>('SELECT id FROM "order" WHERE id::text = ANY($1)', [
    references,
  ]);
  expect(kept.rows.map((row) => row.id).sort()).toEqual(references.sort());
  // I1: one live authorization at most (here exactly one: the checkout went through).
  const live: { requestId: string; merchantReferenceCode: string; status: string }[] = [];
  for (const recorded of authorizeCalls.filter((call) => ourIds.includes(call.fields.merchantReferenceCode ?? ''))) {
    if (!recorded.requestID) continue;
    const transaction = await cyberSource.control<{ requestId: string; merchantReferenceCode: string; status: string }>(
      'GET',
      `/transactions/${recorded.requestID}`,
    );
    if (transaction.status === 200 && ['AUTHORIZED', 'PENDING'].includes(transaction.body.status)) {
      live.push(transaction.body);
    }
  }
  expect(live).toHaveLength(1);
  const [authorization] = live;
  const row = ours.rows.find((candidate) => candidate.id === authorization.merchantReferenceCode);

  let resolvedByOps = false;
  if (lostAuthorization) {
    // Nothing guessed: the one authorization's order waits for ops, and apAuthService was never applied twice.
    expect(row).toMatchObject({ status: 'needs_attention', klarna_order_id: null });
    // Ops find the authorization in the Business Center by its merchantReferenceCode (our order id).
    // A 503 (check status timed out at this suite's 300 ms on a loaded machine) is asked again, as ops would.
    const resolved = await eventually(async () => {
      const answer = await http.post(`/orders/${row?.id}/resolve`, { klarnaOrderId: authorization.requestId }, OPS);
      return answer.status === 503 ? undefined : answer;
    }, 15_000);
    expect(resolved.status).toBe(200);
    resolvedByOps = true;
  }
  const settled = await service.database.query<{ id: string; status: string; klarna_order_id: string | null }>(
    'SELECT id, status, klarna_order_id FROM "order" WHERE cart_id = $1',
    [cart.id],
  );
  // I2: CyberSource's authorization names our order, which knows its request id.
  const placed = settled.rows.find((candidate) => candidate.id === authorization.merchantReferenceCode);
  expect(placed).toMatchObject({ klarna_order_id: authorization.requestId });
  expect(['placed', 'confirmed']).toContain(placed?.status);
  // I5: nothing open; the rest failed (kept, never deleted).
  expect(settled.rows.filter((candidate) => !['placed', 'confirmed', 'failed'].includes(candidate.status))).toEqual([]);
  // I3: CyberSource's session holds our cart's latest version.
  const final = (await http.get<CartBody>(`/carts/${cart.id}`)).body;
  expect(final.status).toBe('ordered');
  const held = await cyberSource.control<{ content: { fields: Record<string, string> } }>(
    'GET',
    `/sessions/${final.klarna?.sessionId}`,
  );
  expect(held.body.content.fields.purchaseTotals_grandTotalAmount).toBe((final.orderAmount / 100).toFixed(2));
  expect(held.body.content.fields.item_0_quantity).toBe(String(final.items[0].quantity));
  if (resolvedByOps && !lostByFault) return 'ops resolve (a retry timed out under load)';
  return resolvedByOps ? 'ops resolve' : hit ? 'pass' : 'pass (not hit)';
}

async function faultedCalls(cyberSource: CyberSourceSide, since: number, operation: Call): Promise<number> {
  const calls = (await cyberSource.calls()).slice(since);
  return calls.filter((recorded) => recorded.operation === operation && recorded.fault !== undefined).length;
}

/** The shopper's authorize() in the widget, unless the session is no longer open (completed meanwhile). */
async function authorizeIfOpen(cyberSource: CyberSourceSide, sessionId: string): Promise<string | undefined> {
  const answer = await cyberSource.control<{ authorization_token?: string }>(
    'POST',
    `/sessions/${sessionId}/authorize`,
    { outcome: 'approved' },
  );
  return answer.body.authorization_token;
}

/**
 * What a storefront does once CyberSource answers again: finish the checkout with a fresh authorization if needed.
 * 'answer lost': a retry's apAuthService was applied but its answer never reached the service, though the injected
 * fault had ended (on a loaded machine an answer can take longer than this suite's 300 ms timeout). That is the
 * `ops resolve` situation, reached without the fault's help: the caller settles it as ops would.
 */
async function storefrontFinishes(service: TestApp, cartId: string): Promise<'ordered' | 'answer lost'> {
  const { http } = service;
  const cyberSource = service.cyberSource!;
  return eventually(async () => {
    // Open placements first: one that completes between the two reads then shows as an ordered cart.
    if ((await openPlacements(service, cartId)) > 0) {
      return (await answerLost(service, cartId)) ? ('answer lost' as const) : undefined;
    }
    const cart = (await http.get<CartBody>(`/carts/${cartId}`)).body;
    if (cart.status === 'ordered') return 'ordered' as const;
    if (!cart.klarna) {
      await http.post(`/carts/${cartId}/klarna-session`);
      return undefined;
    }
    if (!cart.klarna.inSync) return undefined;
    const token = await authorizeIfOpen(cyberSource, cart.klarna.sessionId);
    if (!token) return undefined;
    const placed = await http.post(`/carts/${cartId}/klarna-session/authorizations`, { authorizationToken: token });
    return placed.status === 201 || placed.status === 200 ? ('ordered' as const) : undefined;
  }, 45_000);
}

/**
 * An order of the cart waits for ops although CyberSource authorized it more than 3 s ago: the service never learnt
 * of that authorization (an answer in flight takes at most the 300 ms timeout, so this is no race with a placement
 * about to complete).
 */
async function answerLost(service: TestApp, cartId: string): Promise<boolean> {
  const cyberSource = service.cyberSource!;
  const now = Date.parse((await cyberSource.control<{ now: string }>('GET', '/clock')).body.now);
  const authorized = (await cyberSource.calls('authorize')).filter(
    (recorded) => ['ACCEPT', 'REVIEW'].includes(recorded.decision ?? '') && now - Date.parse(recorded.at) > 3_000,
  );
  const { rows } = await service.database.query<{ id: string }>(
    `SELECT id FROM "order" WHERE cart_id = $1 AND status = 'needs_attention' AND klarna_order_id IS NULL`,
    [cartId],
  );
  return rows.some((order) => authorized.some((recorded) => recorded.fields.merchantReferenceCode === order.id));
}

async function statusesOf(service: TestApp, cartId: string): Promise<string[]> {
  const { rows } = await service.database.query<{ status: string }>('SELECT status FROM "order" WHERE cart_id = $1', [
    cartId,
  ]);
  return rows.map((row) => row.status);
}

async function openPlacements(service: TestApp, cartId: string): Promise<number> {
  const { rows } = await service.database.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "order" WHERE cart_id = $1 AND status IN ('placing', 'needs_attention')`,
    [cartId],
  );
  return rows[0].n;
}

/** Authorizations that will never become an order, still valid, and not released. */
async function unreleased(service: TestApp, cartId: string): Promise<number> {
  const { rows } = await service.database.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM klarna_authorization
     WHERE cart_id = $1 AND status IN ('stale', 'cancelled', 'expired') AND released_at IS NULL AND expires_at > now()`,
    [cartId],
  );
  return rows[0].n;
}

function printMatrix(): void {
  const table = faultMatrixTable(CALLS, Object.keys(FAULTS), results);
  console.log(
    `Fault matrix through CyberSource (call × fault -> invariants I1–I5; ops resolve: a lost apAuthService ` +
      `answer, settled by ops)${FULL ? '' : ' — subset; CYBERSOURCE_FULL_FAULT_MATRIX=1 for all'}\n${table}`,
  );
}
