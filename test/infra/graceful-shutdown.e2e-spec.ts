import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import pg from 'pg';
import { freePort } from '../../src/database/embedded-database.js';
import { startKlarnaSimulator, type KlarnaSimulator } from '../../src/klarna-simulator/klarna-simulator.js';
import { anItem, createCart, createCartWithSession } from '../factories/cart.factory.js';
import { SimulatorClient } from '../klarna-simulator/simulator-test-kit.js';
import { ensureBuilt, spawnService } from '../support/built-service.js';
import { HttpClient } from '../support/http.js';
import { OPS_API_KEY, eventually } from '../support/test-app.js';
import { createScratchDatabase } from '../support/test-database.js';

const CHANGES_IN_FLIGHT = 24;

describe('graceful shutdown of the built service (SIGTERM)', () => {
  let simulator: KlarnaSimulator;
  let klarna: SimulatorClient;
  beforeAll(async () => {
    ensureBuilt();
    simulator = await startKlarnaSimulator({ port: 0 });
    klarna = new SimulatorClient(simulator);
  }, 180_000);
  afterAll(() => simulator.close());

  async function start(environment: Record<string, string> = {}) {
    const port = await freePort();
    const databaseUrl = await createScratchDatabase('shutdown');
    const service = spawnService({
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: '10',
      // As in startTestApp: on the shared, loaded machine 13 requests for 10 connections, each holding one for a
      // slowed Klarna call, may wait longer than the production default of 2 s (503 SERVICE_BUSY).
      DATABASE_ACQUIRE_TIMEOUT_MS: '10000',
      KLARNA_API_URL: simulator.url,
      KLARNA_USERNAME: simulator.username,
      KLARNA_PASSWORD: simulator.password,
      KLARNA_CIRCUIT_MIN_CALLS: '1000000',
      WEBHOOK_SECRET: 'test-webhook-secret-that-is-long-enough',
      AUTHORIZATION_CALLBACK_GRACE_MS: '600000',
      RATE_LIMIT_MAX: '0',
      OPS_API_KEY,
      LOG_LEVEL: 'info',
      ...environment,
    });
    await service.waitForEvent('service.started');
    return { service, http: new HttpClient(`http://127.0.0.1:${port}`), databaseUrl };
  }

  async function inFlight(http: HttpClient): Promise<number> {
    const text = await (await fetch(`${http.baseUrl}/metrics`)).text();
    return Number(/^http_requests_in_flight (\d+)/m.exec(text)?.[1] ?? 0) - 1; // minus this scrape
  }

  async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('turns readiness off first, answers every in-flight request, finishes the placement, stops jobs, then PostgreSQL, and exits 0', async () => {
    const { service, http, databaseUrl } = await start({ SHUTDOWN_DELAY_MS: '1500', SHUTDOWN_TIMEOUT_MS: '20000' });
    const carts = [];
    for (let index = 0; index < CHANGES_IN_FLIGHT / 2; index++) carts.push((await createCartWithSession(http)).cart);
    const { cart: buyer, session } = await createCartWithSession(http);
    // Physical lines need a shipping method (SHIPPING_REQUIRED, on by default); the demo data has one for SE.
    expect((await http.put(`/carts/${buyer.id}/shipping`, { methodId: 'se-home' })).status).toBe(200);
    const token = await klarna.authorize(session.sessionId);

    await klarna.control('POST', '/faults', { operation: 'updateSession', latencyMs: 1500 });
    await klarna.control('POST', '/faults', { operation: 'createOrder', latencyMs: 1500 });
    const lines = await Promise.all(carts.map(() => anItem(http)));
    const answers = carts.flatMap((cart, index) => [
      http.post(`/carts/${cart.id}/items`, lines[index]),
      http.patch(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity: 3 }),
    ]);
    const placement = http.post(`/carts/${buyer.id}/klarna-session/authorizations`, { authorizationToken: token });
    await waitUntil(async () => (await inFlight(http)) >= CHANGES_IN_FLIGHT + 1, 'the requests to be in flight');

    service.child.kill('SIGTERM');
    await service.waitForEvent('shutdown.readiness-off');
    // During SHUTDOWN_DELAY_MS readiness says 503 while requests are still served.
    const ready = await http.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ code: 'NOT_READY', message: 'Not ready' });

    const settled = await Promise.allSettled([...answers, placement]);
    const statuses = settled.map((result) =>
      result.status === 'fulfilled' ? result.value.status : String(result.reason),
    );
    expect(
      statuses.filter((status) => !(typeof status === 'number' && ((status >= 200 && status < 300) || status === 503))),
    ).toEqual([]);
    // With the body, so that a failure names the code.
    expect(await placement).toMatchObject({ status: 201 });

    expect(await service.exited).toEqual({ code: 0, signal: null });
    const order = service.logs.map((line) => line.event).filter((event) => String(event).startsWith('shutdown.'));
    expect(order).toEqual([
      'shutdown.requested',
      'shutdown.readiness-off',
      'shutdown.http-drain',
      'shutdown.jobs',
      'shutdown.database',
      'shutdown.done',
    ]);
    const drain = service.logs.find((line) => line.event === 'shutdown.http-drain') as { inFlightRequests: number };
    expect(drain.inFlightRequests).toBeGreaterThan(0);

    // No order left half-done: the placement's follow-up write landed before PostgreSQL was closed.
    const database = new pg.Client({ connectionString: databaseUrl });
    await database.connect();
    try {
      const { rows } = await database.query<{ status: string }>('SELECT status FROM "order" WHERE cart_id = $1', [
        buyer.id,
      ]);
      expect(rows).toEqual([{ status: 'placed' }]);
    } finally {
      await database.end();
      await klarna.control('DELETE', '/faults');
    }
  }, 120_000);

  // README: "a request arriving on an open keep-alive connection gets 503 SHUTTING_DOWN with Connection: close"
  it('answers a request arriving while it drains with 503 SHUTTING_DOWN and Connection: close, then exits 0', async () => {
    const { service, http } = await start();
    const cart = await createCart(http);
    // A connection the balancer opened before the signal, whose request is still on its way: the listener has
    // stopped accepting connections, this one stays open, and its request arrives during the drain.
    const socket = connect(Number(new URL(http.baseUrl).port), '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const ended = new Promise<void>((resolve) => socket.once('end', resolve));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(`GET /carts/${cart.id} HTTP/1.1\r\nHost: 127.0.0.1\r\n`);

    service.child.kill('SIGTERM');
    await service.waitForEvent('shutdown.http-drain');
    socket.write('Connection: keep-alive\r\n\r\n');
    await ended;

    const [head, body] = received.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
    expect(head.toLowerCase()).toContain('\r\nconnection: close');
    expect(JSON.parse(body)).toEqual({ code: 'SHUTTING_DOWN', message: expect.any(String) });
    expect(await service.exited).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('cuts a request still running at the end of its share of SHUTDOWN_TIMEOUT_MS, naming it, and exits 1', async () => {
    const { service, http } = await start({ SHUTDOWN_TIMEOUT_MS: '1500', KLARNA_TIMEOUT_MS: '30000' });
    const { cart } = await createCartWithSession(http);
    const updateCalls = async () =>
      (await klarna.control<{ calls: unknown[] }>('GET', '/calls?operation=updateSession')).body.calls.length;
    const callsBefore = await updateCalls();
    await klarna.control('POST', '/faults', { operation: 'updateSession', latencyMs: 5000 });
    const stuck = http.patch(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity: 2 }).catch(() => 'no answer');
    await waitUntil(async () => (await inFlight(http)) >= 1, 'the request to be in flight');

    service.child.kill('SIGTERM');
    // Half the time goes to draining requests; what is still running then is cut and named, so the jobs and the
    // database still get their turn within SHUTDOWN_TIMEOUT_MS.
    const cut = await service.waitForEvent('shutdown.requests_cut');
    expect(cut.requests).toEqual(['PATCH /carts/:cartId/items/:itemId']);
    expect(service.logs.filter((line) => line.event === 'shutdown.requests_cut')).toHaveLength(1);
    await service.waitForEvent('shutdown.done');
    expect(await service.exited).toEqual({ code: 1, signal: null });
    await stuck;
    await klarna.control('DELETE', '/faults');
    // The simulator answers the abandoned call after its latency; wait for that so nothing outlives the suite.
    await eventually(async () => ((await updateCalls()) > callsBefore ? true : undefined));
  }, 120_000);
});
