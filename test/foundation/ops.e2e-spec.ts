import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/test-app.js';

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

  it('is ready when the database is reachable and migrated', async () => {
    const response = await fetch(`${service.url}/health/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, migrations: { status: 'up' } },
    });
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
  it('answers 503 naming the failing check', async () => {
    const { createScratchDatabase } = await import('../support/test-database.js');
    const service = await startTestApp({ DATABASE_URL: await createScratchDatabase('unmigrated') });
    try {
      const response = await fetch(`${service.url}/health/ready`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as { code: string; details: { error: Record<string, unknown> } };
      expect(body.code).toBe('NOT_READY');
      expect(Object.keys(body.details.error)).toContain('migrations');
    } finally {
      await service.close();
    }
  });
});
