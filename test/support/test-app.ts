import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { startKlarnaSimulator, type KlarnaSimulator } from '../../src/klarna-simulator/klarna-simulator.js';
import { SimulatorClient } from '../klarna-simulator/simulator-test-kit.js';
import { HttpClient } from './http.js';
import pg from 'pg';
import { testDatabaseUrl } from './test-database.js';
import { freePort } from '../../src/database/embedded-database.js';
import { startCyberSourceSide, type CyberSourceSide } from '../cybersource/cybersource-test-kit.js';
import { listenOps } from '../../src/ops/ops-listener.js';
import { AppConfig as AppConfigToken } from '../../src/config/app-config.js';

export const OPS_API_KEY = 'test-ops-api-key-0123456789';

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  /** The ops listener's URL when OPS_PORT was given (as `'auto'` for a free port). */
  opsUrl: string | undefined;
  /** The configuration the app runs with (the webhook secret as resolved at start). */
  config: AppConfig;
  /** The storefront's view: the service's REST API. */
  http: HttpClient;
  /** Klarna's side: the simulator's control endpoints and recorded calls. */
  klarna: SimulatorClient;
  simulator: KlarnaSimulator;
  /** With PAYMENT_GATEWAY=cybersource: the CyberSource simulator the service talks to (signed SOAP). */
  cyberSource?: CyberSourceSide;
  /** A direct connection to the app's database, for asserting what was (not) written. */
  database: pg.Client;
  /** The Klarna calls the simulator received, oldest first (optionally of one operation). */
  klarnaCalls<T = RecordedKlarnaCall>(operation?: string): Promise<T[]>;
  close(): Promise<void>;
}

export interface RecordedKlarnaCall {
  operation: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown> & { order_lines?: Record<string, unknown>[]; order_amount?: number };
  status: number;
  response: Record<string, unknown> | null;
  correlation_id?: string;
}

/**
 * The service as the storefront sees it: a listening server on a random port, on this run's database,
 * talking to its own Klarna simulator over real HTTP.
 */
export async function startTestApp(environment: Record<string, string> = {}): Promise<TestApp> {
  const simulator = await startKlarnaSimulator({ port: 0 });
  const cyberSource = environment.PAYMENT_GATEWAY === 'cybersource' ? await startCyberSourceSide() : undefined;
  // Klarna's callbacks must reach this instance: merchant URLs are built from PUBLIC_BASE_URL, so the
  // port is chosen before the app starts; a parallel suite may take it first, and then we choose again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchOnFreePorts(environment, simulator, cyberSource);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 5) {
        await simulator.close();
        await cyberSource?.close();
        throw error;
      }
    }
  }
}

async function launchOnFreePorts(
  environment: Record<string, string>,
  simulator: KlarnaSimulator,
  cyberSource: CyberSourceSide | undefined,
): Promise<TestApp> {
  const port = await freePort();
  const opsPort = environment.OPS_PORT === 'auto' ? String(await freePort()) : environment.OPS_PORT;
  const loaded = loadConfig({
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    NODE_ENV: 'test',
    DATABASE_URL: testDatabaseUrl(),
    DATABASE_POOL_SIZE: '4',
    // Suites run in parallel on a shared, loaded machine: waiting for a connection or a cart's row lock is bounded
    // generously here (a lock holder's Klarna call may take seconds); the bounded-waiting suite sets its own limits.
    DATABASE_ACQUIRE_TIMEOUT_MS: '10000',
    DATABASE_LOCK_TIMEOUT_MS: '10000',
    DATABASE_STATEMENT_TIMEOUT_MS: '30000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WEBHOOK_SECRET: 'test-webhook-secret-that-is-long-enough',
    OPS_API_KEY,
    KLARNA_API_URL: simulator.url,
    KLARNA_USERNAME: simulator.username,
    KLARNA_PASSWORD: simulator.password,
    KLARNA_TIMEOUT_MS: '1000',
    AUTHORIZATION_CALLBACK_GRACE_MS: '0',
    // The circuit breaker is per instance state that would leak between tests; its own test turns it on.
    KLARNA_CIRCUIT_MIN_CALLS: '1000000',
    // Each instance its own job queue: apps of parallel test files share the database, not their jobs.
    JOBS_SCHEMA: `jobs_${Math.random().toString(36).slice(2, 10)}`,
    // A closing test app is bounded like a stopping service (jest's hooks time out at 30 s).
    SHUTDOWN_TIMEOUT_MS: '10000',
    // Every suite talks from 127.0.0.1: the rate limits have their own suite.
    RATE_LIMIT_MAX: '0',
    RATE_LIMIT_WEBHOOK_MAX: '0',
    RATE_LIMIT_SESSION_MAX: '0',
    HOST: '127.0.0.1',
    // pg-boss's cron clock keeps timers running past a test app's close; the retention suite turns it on.
    RETENTION_CRON: 'off',
    // Likewise the reconciliation's schedule; its suite runs it through POST /ops/reconcile.
    RECONCILE_CRON: 'off',
    // The suites before issue 13 tell checkouts without a shipping method; the shipping suite turns this on.
    SHIPPING_REQUIRED: 'false',
    ...cyberSource?.environment,
    ...environment,
    ...(opsPort === undefined ? {} : { OPS_PORT: opsPort }),
  });
  const app = await createApp(loaded);
  try {
    await app.listen({ port, host: '127.0.0.1' });
    await listenOps(app, loaded);
  } catch (error) {
    await app.close();
    throw error;
  }
  const config = app.get(AppConfigToken);
  const url = `http://127.0.0.1:${port}`;
  const database = new pg.Client({ connectionString: config.databaseUrl });
  // A suite that restarts PostgreSQL ends this connection too; the suite's own assertions say what matters.
  database.on('error', () => undefined);
  await database.connect();
  const klarna = new SimulatorClient(simulator);
  return {
    app,
    url,
    opsUrl: opsPort === undefined ? undefined : `http://127.0.0.1:${opsPort}`,
    config,
    http: new HttpClient(url),
    klarna,
    simulator,
    cyberSource,
    database,
    async klarnaCalls<T>(operation?: string) {
      const query = operation ? `?operation=${operation}` : '';
      return (await klarna.control<{ calls: T[] }>('GET', `/calls${query}`)).body.calls;
    },
    async close() {
      await database.end();
      await app.close();
      await simulator.close();
      await cyberSource?.close();
    },
  };
}

/**
 * Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. The default leaves room for a
 * job's retry with backoff on CI's loaded machine (two suites, Chromium and PostgreSQL on two cores): a callback's
 * placement once took more than 10 s there, in the first test of a freshly started jest worker.
 */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
