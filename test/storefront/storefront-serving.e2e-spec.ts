/** How the demo page and the stand-in Klarna SDK are served (no browser needed). */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { STAND_IN_SDK_FILE } from '../../src/klarna-simulator/klarna-simulator.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('serving the demo storefront', () => {
  let service: TestApp;

  beforeAll(async () => {
    if (!existsSync(resolve('dist/web/storefront/web/main.js')) || !existsSync(STAND_IN_SDK_FILE)) {
      execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
    }
    service = await startTestApp();
  }, 240_000);

  afterAll(async () => {
    await service?.close();
  });

  it('serves the page, its module and its settings outside production', async () => {
    const page = await fetch(`${service.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<script type="module" src="/storefront/main.js">');
    const module = await fetch(`${service.url}/storefront/main.js`);
    expect(module.headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${service.url}/storefront/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${service.url}/storefront/nothing.js`)).status).toBe(404);
  });

  it("points the page at the simulator's stand-in SDK when Klarna is simulated", async () => {
    const config = await service.http.get<{ klarnaSdkUrl: string; markets: { country: string }[] }>(
      '/storefront/config',
    );
    expect(config.body.klarnaSdkUrl).toBe(`${service.simulator.url}/_sim/sdk/klarna-payments.js`);
    expect(config.body.markets.map((market) => market.country)).toEqual(['SE', 'DE', 'GB', 'US']);
    const sdk = await fetch(config.body.klarnaSdkUrl);
    expect(sdk.headers.get('content-type')).toContain('text/javascript');
    expect(await sdk.text()).toContain('window.Klarna = { Payments: payments }');
  });

  it("lets the page call the simulator's authorize control from its own origin (CORS)", async () => {
    const preflight = await fetch(`${service.simulator.url}/_sim/sessions/any/authorize`, {
      method: 'OPTIONS',
      headers: { origin: service.url, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    const unknown = await fetch(`${service.simulator.url}/_sim/sessions/none/authorize`, {
      method: 'POST',
      headers: { origin: service.url, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('access-control-allow-origin')).toBe('*');
    // Only the browser's authorize calls are opened to other origins.
    const calls = await fetch(`${service.simulator.url}/_sim/calls`, { headers: { origin: service.url } });
    expect(calls.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers / with 404 ROUTE_NOT_FOUND when DEMO_STOREFRONT=false', async () => {
    const off = await startTestApp({ DEMO_STOREFRONT: 'false' });
    try {
      const page = await off.http.get('/');
      expect(page.status).toBe(404);
      expect(page.body).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
      expect((await off.http.get('/storefront/config')).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
