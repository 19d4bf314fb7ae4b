import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { freePort } from '../../src/database/embedded-database.js';
import { startKlarnaSimulator, type KlarnaSimulator } from '../../src/klarna-simulator/klarna-simulator.js';
import { createCartWithSession } from '../factories/cart.factory.js';
import { SimulatorClient } from '../klarna-simulator/simulator-test-kit.js';
import { ensureBuilt, spawnService, type ServiceProcess } from '../support/built-service.js';
import { HttpClient } from '../support/http.js';
import { OPS_API_KEY, eventually } from '../support/test-app.js';
import { createScratchDatabase } from '../support/test-database.js';
import { MerchantReceiver, aWebhookSecret } from './merchant-receiver.js';

/**
 * The built service killed (SIGKILL) after an order change committed and while its event was on the wire: nothing
 * recorded the delivery, so the restarted service delivers it, with the same webhook-id, before the order's next one.
 */
describe('order events across a crash of the service (SIGKILL)', () => {
  let simulator: KlarnaSimulator;
  let klarna: SimulatorClient;
  let receiver: MerchantReceiver;
  let secret: string;
  const running: ServiceProcess[] = [];

  beforeAll(async () => {
    ensureBuilt();
    simulator = await startKlarnaSimulator({ port: 0 });
    klarna = new SimulatorClient(simulator);
    secret = aWebhookSecret();
    receiver = await MerchantReceiver.start(secret);
  }, 180_000);
  afterAll(async () => {
    for (const service of running) if (service.child.exitCode === null) service.child.kill('SIGKILL');
    await simulator.close();
    await receiver.close();
  });

  async function start(port: number, databaseUrl: string) {
    const service = spawnService({
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: '5',
      KLARNA_API_URL: simulator.url,
      KLARNA_USERNAME: simulator.username,
      KLARNA_PASSWORD: simulator.password,
      WEBHOOK_SECRET: 'test-webhook-secret-that-is-long-enough',
      AUTHORIZATION_CALLBACK_GRACE_MS: '600000',
      RATE_LIMIT_MAX: '0',
      // The cart here has a physical line and no shipping method (shipping has suites of its own).
      SHIPPING_REQUIRED: 'false',
      RETENTION_CRON: 'off',
      RECONCILE_CRON: 'off',
      OPS_API_KEY,
      LOG_LEVEL: 'info',
      MERCHANT_WEBHOOK_URL: receiver.url,
      MERCHANT_WEBHOOK_SECRET: secret,
      MERCHANT_WEBHOOK_TIMEOUT_MS: '3000',
      MERCHANT_WEBHOOK_RETRY_BASE_MS: '50',
      MERCHANT_WEBHOOK_POLL_MS: '100',
    });
    running.push(service);
    await service.waitForEvent('service.started');
    return service;
  }

  it('delivers the event whose delivery the crash cut off, then the next one, in order', async () => {
    const port = await freePort();
    const databaseUrl = await createScratchDatabase('events_crash');
    const first = await start(port, databaseUrl);
    const http = new HttpClient(`http://127.0.0.1:${port}`);
    // The order system takes the first delivery and never answers: the service dies while it waits.
    receiver.react = ({ attempt }) => (attempt === 1 ? 'hang' : { status: 200 });

    const { cart, session } = await createCartWithSession(http);
    const token = (
      await klarna.control<{ authorization_token: string }>('POST', `/sessions/${session.sessionId}/authorize`, {
        outcome: 'approved',
      })
    ).body.authorization_token;
    const placed = await http.post<{ orderId: string }>(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: token,
    });
    expect(placed.status).toBe(201);
    const { orderId } = placed.body;
    const database = new pg.Client({ connectionString: databaseUrl });
    await database.connect();
    try {
      const events = async () =>
        (
          await database.query<{ id: string; type: string; status: string; attempts: number }>(
            'SELECT id, type, status, attempts FROM order_event WHERE order_id = $1 ORDER BY seq',
            [orderId],
          )
        ).rows;
      // Both changes committed (the placement, Klarna's push), and the first event is on the wire.
      await eventually(async () => ((await events()).length === 2 ? true : undefined));
      const hung = await eventually(async () => receiver.of(orderId).find((arrival) => arrival.answered === 'hang'));
      first.child.kill('SIGKILL');
      expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
      expect(await events()).toEqual([
        { id: hung.id, type: 'order.placed', status: 'pending', attempts: 0 },
        expect.objectContaining({ type: 'order.confirmed', status: 'pending', attempts: 0 }),
      ]);

      const second = await start(port, databaseUrl);
      const delivered = await eventually(async () => {
        const rows = await events();
        return rows.every((row) => row.status === 'delivered') ? rows : undefined;
      }, 30_000);
      expect(receiver.accepted(orderId).map((arrival) => [arrival.id, arrival.type])).toEqual(
        delivered.map((row) => [row.id, row.type]),
      );
      expect(delivered[0].id).toBe(hung.id);
      second.child.kill('SIGTERM');
      await second.exited;
    } finally {
      await database.end();
    }
  }, 120_000);
});
