import { afterEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { anItem, createCart, createCartWithSession, type CartBody } from '../factories/cart.factory.js';
import { OPS_API_KEY, eventually, startTestApp, type TestApp } from '../support/test-app.js';

/** Waiting is bounded everywhere: per cart in the instance, for a pooled connection, for a row lock, for Klarna. */
describe('bounded waiting', () => {
  let service: TestApp | undefined;
  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  it('queues one cart’s requests in the instance and answers 429 CART_BUSY beyond CART_QUEUE_DEPTH', async () => {
    service = await startTestApp({ CART_QUEUE_DEPTH: '2' });
    const { http, klarna } = service;
    const { cart } = await createCartWithSession(http);
    const other = await createCart(http);
    await klarna.control('POST', '/faults', { operation: 'updateSession', latencyMs: 400 });
    const changes = await Promise.all(
      [2, 3, 4, 5, 6, 7].map((quantity) =>
        http.patch<CartBody>(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity }),
      ),
    );
    const statuses = changes.map((answer) => answer.status).sort();
    // One running and two waiting: the other three were refused before they took a database connection.
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    for (const busy of changes.filter((answer) => answer.status === 429)) {
      expect(busy.body).toEqual({ code: 'CART_BUSY', message: expect.stringContaining('try again') });
      expect(Number(busy.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect((await http.get(`/carts/${other.id}`)).status).toBe(200);
    const final = await http.get<CartBody>(`/carts/${cart.id}`);
    expect(final.body.version).toBe(cart.version + 3);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/^cart_queue_rejections_total 3$/m);
  });

  it('answers 503 SERVICE_BUSY, never 500, when no pooled connection is free in time; readiness says busy and stays 200', async () => {
    service = await startTestApp({ DATABASE_POOL_SIZE: '1', DATABASE_ACQUIRE_TIMEOUT_MS: '300' });
    const { http, klarna } = service;
    const { cart } = await createCartWithSession(http);
    const other = await createCart(http);
    await klarna.control('POST', '/faults', { operation: 'updateSession', latencyMs: 2500 });
    // The change holds the only connection (and the cart's row lock) while Klarna takes its time.
    const slow = http.patch<CartBody>(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity: 2 });
    const busy = await eventually(async () => {
      const read = await http.get(`/carts/${other.id}`);
      return read.status === 503 ? read : undefined;
    });
    expect(busy.body).toEqual({ code: 'SERVICE_BUSY', message: expect.any(String) });
    expect(Number(busy.headers.get('retry-after'))).toBeGreaterThan(0);
    const readiness = await http.get<{ status: string; checks: Record<string, { status: string }> }>('/health/ready', {
      authorization: `Bearer ${OPS_API_KEY}`,
    });
    expect(readiness.status).toBe(200);
    expect(readiness.body.checks).toMatchObject({ database: { status: 'up' }, pool: { status: 'busy' } });
    expect((await slow).status).toBe(200);
    expect((await http.get(`/carts/${other.id}`)).status).toBe(200);
  });

  it('gives up waiting for a cart’s row lock after DATABASE_LOCK_TIMEOUT_MS with 503 SERVICE_BUSY and writes nothing', async () => {
    // A transaction timeout (from KLARNA_TIMEOUT_MS) far beyond the test's: and a long statement timeout: only lock_timeout can end the wait.
    service = await startTestApp({
      DATABASE_LOCK_TIMEOUT_MS: '300',
      DATABASE_STATEMENT_TIMEOUT_MS: '60000',
      KLARNA_TIMEOUT_MS: '30000',
    });
    const { http } = service;
    const cart = await createCart(http);
    const item = await anItem(http);
    // Another instance (here: a plain connection) holds the cart's row lock.
    const holder = new pg.Client({ connectionString: service.config.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM cart WHERE id = $1 FOR UPDATE', [cart.id]);
      const answer = await http.post(`/carts/${cart.id}/items`, item);
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ code: 'SERVICE_BUSY' });
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const { rows } = await service.database.query('SELECT count(*)::int AS n FROM cart_item WHERE cart_id = $1', [
      cart.id,
    ]);
    expect(rows[0].n).toBe(0);
    expect((await http.post(`/carts/${cart.id}/items`, item)).status).toBe(201);
  });

  it('opens the circuit on slow Klarna answers, keeping each slow answer, and then stops calling', async () => {
    // Slow is 300 ms and Klarna answers in 600: far from the test's other calls on a loaded machine (a slow session
    // creation counts too) and far from the timeout (a timed-out push is a failure, not a slow answer).
    service = await startTestApp({
      KLARNA_SLOW_CALL_MS: '300',
      KLARNA_TIMEOUT_MS: '10000',
      KLARNA_CIRCUIT_MIN_CALLS: '3',
      KLARNA_CIRCUIT_COOLDOWN_MS: '60000',
    });
    const { http, klarna } = service;
    const { cart, session } = await createCartWithSession(http);
    await klarna.control('POST', '/faults', { operation: 'updateSession', latencyMs: 600 });
    const slowAnswers: CartBody[] = [];
    let answer: CartBody;
    let quantity = 2;
    do {
      answer = (await http.patch<CartBody>(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity })).body;
      if (answer.klarna?.inSync) slowAnswers.push(answer);
      quantity += 1;
    } while (answer.klarna?.syncError?.errorCode !== 'KLARNA_CIRCUIT_OPEN' && quantity < 12);
    // Klarna answered each slow call and the cart used it: slow is not lost, only counted.
    expect(slowAnswers.length).toBeGreaterThanOrEqual(2);
    expect(answer.klarna).toMatchObject({ inSync: false, syncError: { errorCode: 'KLARNA_CIRCUIT_OPEN' } });
    const calls = (await service.klarnaCalls('updateSession')).filter((call) => call.path.includes(session.sessionId));
    const next = await http.patch<CartBody>(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity: 20 });
    expect(next.status).toBe(200);
    expect(next.body.klarna?.syncError?.errorCode).toBe('KLARNA_CIRCUIT_OPEN');
    const after = (await service.klarnaCalls('updateSession')).filter((call) => call.path.includes(session.sessionId));
    expect(after).toHaveLength(calls.length);
  });
});
