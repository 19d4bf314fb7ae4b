/**
 * Chaos: one cart hammered while Klarna is slow must not hurt anybody else (issue "Stays up").
 *
 * Starts the built service (production settings, default pool and queue) and the Klarna simulator as child
 * processes on a fresh database, then:
 *   1. readers: `--readers` connections read other carts for `--duration` s (autocannon): their p99 alone;
 *   2. the same readers again while Klarna answers every session update in `--klarna-latency` ms and
 *      `--writers` concurrent clients change ONE cart as fast as they are answered; readiness is polled.
 * It fails (exit 1) on any 5xx, a slow-cart answer that is not 2xx / 429 / 503 with Retry-After, a readiness
 * answer other than 200, or readers' p99 above `--max-p99-ratio` times its value without the slow cart.
 * SIGTERM under load, a PostgreSQL restart and two instances are e2e suites (test/infra/).
 *
 *   npm run chaos          20 s per phase, 40 writers, 32 readers, Klarna at 3 s
 *   npm run chaos:smoke    the same checks at 5 s per phase (CI)
 */
/* global fetch */
import autocannon from 'autocannon';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort, startNode, waitForHttp } from './processes.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KLARNA_USERNAME = 'chaos-merchant';
const KLARNA_PASSWORD = 'chaos-password';
const OPS_API_KEY = 'chaos-ops-api-key-0123';
const MARKET = { purchaseCountry: 'SE', purchaseCurrency: 'SEK', locale: 'sv-SE' };

const smoke = process.argv.includes('--smoke');
const option = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const settings = {
  durationS: option('duration', smoke ? 5 : 20),
  writers: option('writers', 40),
  readers: option('readers', smoke ? 16 : 32),
  readCarts: option('read-carts', 50),
  klarnaLatencyMs: option('klarna-latency', 3000),
  maxP99Ratio: option('max-p99-ratio', 5),
};
const serverUrl = (process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/+$/, '');

async function call(base, method, route, body) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${OPS_API_KEY}`,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function seed(serviceUrl, count) {
  await call(serviceUrl, 'POST', '/catalog/import', {
    taxRates: [{ country: 'SE', taxClass: 'standard', rate: 2500 }],
    products: [
      {
        reference: 'CHAOS-1',
        name: 'Chaos mug',
        type: 'physical',
        taxClass: 'standard',
        prices: [{ currency: 'SEK', unitPrice: 12_900 }],
      },
    ],
  });
  const carts = [];
  for (let index = 0; index < count; index++) {
    const cart = await call(serviceUrl, 'POST', '/carts', MARKET);
    const withItem = await call(serviceUrl, 'POST', `/carts/${cart.id}/items`, { reference: 'CHAOS-1', quantity: 1 });
    carts.push(withItem);
  }
  return carts;
}

function readers(url, carts, durationS, connections) {
  let next = 0;
  return new Promise((resolve, reject) =>
    autocannon(
      {
        url,
        connections,
        duration: durationS,
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => ({ ...request, path: `/carts/${carts[next++ % carts.length].id}` }),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    ),
  );
}

/** `writers` clients changing one cart as fast as they are answered, until `until`. */
async function hammer(url, cart, writers, until) {
  const statuses = new Map();
  const bad = [];
  let quantity = 1;
  const writer = async () => {
    while (Date.now() < until) {
      quantity = (quantity % 20) + 1;
      const response = await fetch(`${url}/carts/${cart.id}/items/${cart.items[0].id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ quantity }),
      });
      const body = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const retryable = response.status === 429 || response.status === 503;
      if (retryable && !response.headers.get('retry-after')) bad.push(`${response.status} without Retry-After`);
      else if (!(response.ok || retryable)) bad.push(`${response.status} ${body.slice(0, 200)}`);
      // A storefront honours Retry-After; a hostile one does not. This one waits a little, to keep the pressure.
      if (retryable) await sleep(50);
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
  return { statuses: Object.fromEntries(statuses), bad };
}

async function pollReadiness(opsUrl, until) {
  const seen = new Map();
  while (Date.now() < until) {
    const response = await fetch(`${opsUrl}/health/ready`).catch(() => ({ status: 0, json: async () => null }));
    const body = await response.json().catch(() => null);
    const key = `${response.status}${body?.checks?.pool?.status === 'busy' ? ' (pool busy)' : ''}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    await sleep(250);
  }
  return Object.fromEntries(seen);
}

async function main() {
  if (!existsSync(path.join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build`');
  const database = `chaos_bench_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  const stops = [];
  try {
    const simulatorPort = await freePort();
    const simulator = startNode(
      'klarna-simulator',
      [path.join(ROOT, 'dist', 'klarna-simulator', 'main.js')],
      {
        PORT: String(simulatorPort),
        KLARNA_SIMULATOR_USERNAME: KLARNA_USERNAME,
        KLARNA_SIMULATOR_PASSWORD: KLARNA_PASSWORD,
      },
      ROOT,
    );
    stops.push(() => simulator.stop());
    const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;
    await waitForHttp(simulator, `${simulatorUrl}/_sim/calls`);

    const port = await freePort();
    const opsPort = await freePort();
    const service = startNode(
      'service',
      ['--max-old-space-size=160', path.join(ROOT, 'dist', 'main.js')],
      {
        NODE_ENV: 'production',
        PORT: String(port),
        OPS_PORT: String(opsPort),
        HOST: '127.0.0.1',
        DATABASE_URL: `${serverUrl}/${database}`,
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        KLARNA_API_URL: simulatorUrl,
        KLARNA_USERNAME,
        KLARNA_PASSWORD,
        WEBHOOK_SECRET: 'chaos-webhook-secret-0123456789abcdef',
        OPS_API_KEY,
        LOG_LEVEL: 'warn',
        // All load comes from one address; the per-IP limits have their own suite.
        RATE_LIMIT_MAX: '0',
        RATE_LIMIT_SESSION_MAX: '0',
      },
      ROOT,
    );
    stops.push(() => service.stop());
    const url = `http://127.0.0.1:${port}`;
    const opsUrl = `http://127.0.0.1:${opsPort}`;
    await waitForHttp(service, `${url}/health/ready`);

    const carts = await seed(url, settings.readCarts + 1);
    const slowCart = carts.pop();
    await call(url, 'POST', `/carts/${slowCart.id}/klarna-session`, {});

    console.error(`[chaos] readers alone: ${settings.readers} connections, ${settings.durationS} s`);
    const alone = await readers(url, carts, settings.durationS, settings.readers);

    console.error(
      `[chaos] readers with ${settings.writers} writers on one cart, Klarna answering in ${settings.klarnaLatencyMs} ms`,
    );
    await call(simulatorUrl, 'POST', '/_sim/faults', {
      operation: 'updateSession',
      latencyMs: settings.klarnaLatencyMs,
    });
    const until = Date.now() + settings.durationS * 1000;
    const [together, slow, readiness] = await Promise.all([
      readers(url, carts, settings.durationS, settings.readers),
      hammer(url, slowCart, settings.writers, until),
      pollReadiness(opsUrl, until),
    ]);

    const ratio = together.latency.p99 / Math.max(1, alone.latency.p99);
    const report = {
      machine: `${process.arch}, ${(await import('node:os')).cpus().length} cores, Node ${process.version}`,
      settings,
      readersAlone: { requests: alone.requests.total, p50: alone.latency.p50, p99: alone.latency.p99 },
      readersWithSlowCart: {
        requests: together.requests.total,
        p50: together.latency.p50,
        p99: together.latency.p99,
        non2xx: together.non2xx,
        errors: together.errors,
      },
      p99Ratio: Number(ratio.toFixed(2)),
      slowCart: slow.statuses,
      readiness,
    };
    console.log(JSON.stringify(report, null, 2));
    const failures = [];
    if (together.non2xx > 0 || together.errors > 0) failures.push(`readers got ${together.non2xx} non-2xx`);
    if (slow.bad.length > 0) failures.push(`slow cart: ${[...new Set(slow.bad)].join('; ')}`);
    if (Object.keys(readiness).some((status) => !status.startsWith('200'))) failures.push('readiness left 200');
    if (ratio > settings.maxP99Ratio) failures.push(`readers' p99 ratio ${ratio.toFixed(2)} > ${settings.maxP99Ratio}`);
    if (failures.length > 0) {
      console.error(`[chaos] FAILED: ${failures.join(' | ')}`);
      process.exitCode = 1;
    } else {
      console.error('[chaos] passed');
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  }
}

await main();
