import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OPS_API_KEY, startTestApp, type TestApp } from '../support/test-app.js';

const OPS = { authorization: `Bearer ${OPS_API_KEY}` };

describe('ops endpoints', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp();
  });
  afterAll(() => service.close());

  it('answers liveness', async () => {
    const response = await fetch(`${service.url}/health/live`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('is ready when the database is reachable and migrated, and says no more than that in public', async () => {
    const response = await fetch(`${service.url}/health/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('shows the readiness checks to operators with the ops API key', async () => {
    const response = await fetch(`${service.url}/health/ready`, { headers: OPS });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      checks: {
        database: { status: 'up' },
        migrations: { status: 'up' },
        pool: { status: 'up' },
        shutdown: { status: 'up' },
      },
    });
    const wrongKey = await fetch(`${service.url}/health/ready`, { headers: { authorization: 'Bearer nope' } });
    expect(await wrongKey.json()).toEqual({ status: 'ok' });
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    const document = (await (await fetch(`${service.url}/docs-json`)).json()) as { openapi: string; paths: object };
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toContain('/health/ready');
    const ui = await fetch(`${service.url}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it('exposes Prometheus metrics with request counts by route and status', async () => {
    await fetch(`${service.url}/health/live`);
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="200"\} [1-9]/,
    );
  });

  it('answers unknown routes with a machine-readable code', async () => {
    const response = await fetch(`${service.url}/no-such-route`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ code: 'ROUTE_NOT_FOUND', message: 'No such route' });
  });
});

describe('readiness without migrations', () => {
  it('answers 503 NOT_READY in public and names the pending migrations only to operators', async () => {
    const { createScratchDatabase } = await import('../support/test-database.js');
    const service = await startTestApp({ DATABASE_URL: await createScratchDatabase('unmigrated') });
    try {
      const response = await fetch(`${service.url}/health/ready`);
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({ code: 'NOT_READY', message: 'Not ready' });
      expect(text).not.toMatch(/init|127\.0\.0\.1|migration/i);

      const forOps = await fetch(`${service.url}/health/ready`, { headers: OPS });
      expect(forOps.status).toBe(503);
      const body = (await forOps.json()) as { status: string; checks: Record<string, { status: string }> };
      expect(body.status).toBe('not_ready');
      expect(body.checks.database.status).toBe('up');
      expect(body.checks.migrations.status).toBe('down');
    } finally {
      await service.close();
    }
  });
});

describe('the ops port', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp({ OPS_PORT: 'auto' });
  });
  afterAll(() => service.close());

  it('serves /metrics and /docs there and not on the public port', async () => {
    for (const path of ['/metrics', '/docs', '/docs-json', '/docs-yaml', '/docs/swagger-ui.css']) {
      expect((await fetch(`${service.opsUrl}${path}`)).status).toBe(200);
      const onPublic = await fetch(`${service.url}${path}`);
      expect(onPublic.status).toBe(404);
      expect(await onPublic.json()).toEqual({ code: 'ROUTE_NOT_FOUND', message: 'No such route' });
    }
  });

  it('shows readiness details there without a key, and only the verdict on the public port', async () => {
    expect(await (await fetch(`${service.opsUrl}/health/ready`)).json()).toMatchObject({
      status: 'ok',
      checks: { database: { status: 'up' } },
    });
    expect(await (await fetch(`${service.url}/health/ready`)).json()).toEqual({ status: 'ok' });
  });

  it('keeps the storefront API on the public port', async () => {
    const response = await fetch(`${service.url}/carts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ purchaseCountry: 'SE', purchaseCurrency: 'SEK', locale: 'sv-SE' }),
    });
    expect(response.status).toBe(201);
  });
});
