import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/database/embedded-database.js';
import { startKlarnaSimulator, type KlarnaSimulator } from '../../src/klarna-simulator/klarna-simulator.js';
import { ensureBuilt, spawnService, type ServiceProcess } from '../support/built-service.js';
import { OPS_API_KEY, eventually } from '../support/test-app.js';
import { createScratchDatabase } from '../support/test-database.js';

/** The built service (`node dist/main.js`) as an operator starts it. */
describe('start-up of the built service', () => {
  beforeAll(() => {
    ensureBuilt();
  }, 180_000);

  describe('with no configuration', () => {
    // Under .data/ like the other embedded servers of the tests: PostgreSQL runs as its own user, which must reach it.
    const dataDir = `.data/test-startup-${process.pid}`;
    let service: ServiceProcess | undefined;
    afterAll(async () => {
      if (service && service.child.exitCode === null) {
        service.child.kill('SIGKILL');
        await service.exited;
      }
      await rm(dataDir, { recursive: true, force: true });
    });

    it('starts the embedded PostgreSQL and the Klarna simulator, answers /health/ready, and stops on SIGTERM', async () => {
      const port = await freePort();
      // Only where to listen and where to keep the embedded database's files: nothing about databases or Klarna.
      service = spawnService({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir });
      await service.waitForEvent('database.embedded', 120_000);
      const simulated = await service.waitForEvent('klarna.simulated');
      expect(simulated.url).toEqual(expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+/));
      await service.waitForEvent('service.started', 120_000);
      const ready = await eventually(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
        return response.status === 200 ? response : undefined;
      }, 60_000);
      expect(await ready.json()).toEqual({ status: 'ok' });
      // A cart through the simulated Klarna: the start wired the simulator in, not only started it.
      const cart = await fetch(`http://127.0.0.1:${port}/carts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ purchaseCountry: 'SE', purchaseCurrency: 'SEK', locale: 'sv-SE' }),
      });
      expect(cart.status).toBe(201);
      service.child.kill('SIGTERM');
      expect(await service.exited).toEqual({ code: 0, signal: null });
    }, 240_000);
  });

  describe('with a bad setting', () => {
    let folder: string;
    beforeAll(async () => {
      folder = await mkdtemp(join(tmpdir(), 'bff-start-up-'));
    });
    afterAll(() => rm(folder, { recursive: true, force: true }));

    /** Runs the service to its exit and returns what it printed. */
    async function runToExit(environment: Record<string, string>, cwd?: string) {
      const service = spawnService(environment, { cwd });
      const exit = await service.exited;
      return { exit, lines: service.logs };
    }

    it('stops with exit code 1 and one line naming the variable', async () => {
      const { exit, lines } = await runToExit({ RECONCILE_DAYS: '0', PORT: '3000' });
      expect(exit.code).toBe(1);
      expect(lines).toHaveLength(1);
      expect(lines[0].text).toMatch(/^Invalid configuration: RECONCILE_DAYS=0: RECONCILE_DAYS /);
    });

    it('reads .env from the working directory', async () => {
      await writeFile(join(folder, '.env'), 'PORT=abc\n');
      const { exit, lines } = await runToExit({}, folder);
      expect(exit.code).toBe(1);
      expect(lines).toEqual([
        { event: 'non-json', text: expect.stringMatching(/^Invalid configuration: PORT="abc": /) },
      ]);
    });

    it('lets real environment variables win over .env', async () => {
      await writeFile(join(folder, '.env'), 'PORT=abc\n');
      const { exit, lines } = await runToExit({ PORT: '70000' }, folder);
      expect(exit.code).toBe(1);
      expect(lines).toEqual([
        { event: 'non-json', text: expect.stringMatching(/^Invalid configuration: PORT=70000: PORT /) },
      ]);
    });
  });

  describe('its log output', () => {
    let simulator: KlarnaSimulator;
    let logs: Record<string, unknown>[] = [];
    const webhookSecret = 'log-test-webhook-secret-long-enough-0123';

    /** One run of the service at LOG_LEVEL=info through a few requests, stopped, with everything it wrote. */
    beforeAll(async () => {
      simulator = await startKlarnaSimulator({ port: 0 });
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const service = spawnService({
        NODE_ENV: 'test',
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_BASE_URL: base,
        DATABASE_URL: await createScratchDatabase('logs'),
        KLARNA_API_URL: simulator.url,
        KLARNA_USERNAME: simulator.username,
        KLARNA_PASSWORD: simulator.password,
        WEBHOOK_SECRET: webhookSecret,
        OPS_API_KEY,
        LOG_LEVEL: 'info',
        RETENTION_CRON: 'off',
        RECONCILE_CRON: 'off',
      });
      try {
        await service.waitForEvent('service.started', 120_000);
        const json = { 'content-type': 'application/json' };
        const cart = await fetch(`${base}/carts`, {
          method: 'POST',
          headers: { ...json, 'x-request-id': 'promise-request-1' },
          body: JSON.stringify({ purchaseCountry: 'SE', purchaseCurrency: 'SEK', locale: 'sv-SE' }),
        });
        const { id } = (await cart.json()) as { id: string };
        const customer = await fetch(`${base}/carts/${id}/customer`, {
          method: 'PUT',
          headers: { ...json, 'x-request-id': 'promise-request-2' },
          body: JSON.stringify({
            billingAddress: { email: 'shopper.secret@example.com', phone: '+46701234599', country: 'SE' },
            customer: { dateOfBirth: '1979-02-28' },
          }),
        });
        expect([cart.status, customer.status]).toEqual([201, 200]);
        const forged = await fetch(`${base}/webhooks/klarna/push?cart_id=${id}&sig=forged-signature-77&order_id=x`, {
          method: 'POST',
          headers: { ...json, authorization: `Bearer ${OPS_API_KEY}` },
          body: '{}',
        });
        expect(forged.status).toBe(401);
        await service.waitForEvent('webhook.forged');
        // The orchestrator's liveness probe is not worth a line per probe.
        const live = await fetch(`${base}/health/live`, { headers: { 'x-request-id': 'promise-live-probe' } });
        expect(live.status).toBe(200);
      } finally {
        service.child.kill('SIGTERM');
        await service.exited;
        logs = service.logs;
      }
    }, 180_000);
    afterAll(() => simulator.close());
    const completedLines = () => logs.filter((entry) => entry.msg === 'request completed');

    it('carries no credentials, signatures or personal data', () => {
      expect(logs.some((line) => line.event === 'webhook.forged')).toBe(true);
      const written = JSON.stringify(logs);
      for (const secret of [
        OPS_API_KEY,
        webhookSecret,
        simulator.password,
        'forged-signature-77',
        'shopper.secret@example.com',
        '+46701234599',
        '1979-02-28',
      ]) {
        expect(written).not.toContain(secret);
      }
    });

    // README: "Logs are structured JSON (pino) with a request id (x-request-id is honoured)".
    it('names each request by its x-request-id, or by a generated id without one', () => {
      const completed = completedLines();
      const named = completed.filter((entry) => (entry.req as { id?: string }).id === 'promise-request-2');
      expect(named).toEqual([
        expect.objectContaining({
          req: { id: 'promise-request-2', method: 'PUT', path: expect.stringMatching(/^\/carts\/[\w-]+\/customer$/) },
        }),
      ]);
      // The forged push came without the header: its line has an id of its own and the path without the signature.
      const forged = completed.find((entry) => (entry.req as { path?: string }).path?.startsWith('/webhooks/'));
      expect(forged).toMatchObject({
        req: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), method: 'POST', path: '/webhooks/klarna/push' },
        res: { statusCode: 401 },
      });
    });

    it('writes no line for the liveness probe', () => {
      // Read after the service exited: every line it wrote is in.
      expect(completedLines()).not.toHaveLength(0);
      expect(logs.filter((entry) => (entry.req as { id?: string } | undefined)?.id === 'promise-live-probe')).toEqual(
        [],
      );
    });
  });
});
