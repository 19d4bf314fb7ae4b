import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { migratedScratchDatabase } from '../catalog/catalog-test-kit.js';
import { createCart } from '../factories/cart.factory.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { OPS } from './checkout-test-kit.js';

/** The development demo data: two shipping methods per demo market and a few codes, next to the demo catalog. */
describe('checkout demo data', () => {
  let service: TestApp;

  beforeAll(async () => {
    // Its own database: the seed runs only when there are no methods and no codes at all.
    service = await startTestApp({ DATABASE_URL: await migratedScratchDatabase('checkout_demo') });
  });
  afterAll(() => service.close());

  it('seeds two shipping methods per demo market (SE, DE, GB, US) and the demo codes', async () => {
    const methods = (await service.http.get<{ id: string; countries: string[] }[]>('/shipping-methods', OPS)).body;
    for (const country of ['SE', 'DE', 'GB', 'US']) {
      expect(methods.filter((method) => method.countries.includes(country))).toHaveLength(2);
    }
    for (const code of ['WELCOME10', 'SAVE10', 'LAUNCH20']) {
      expect((await service.http.get(`/discount-codes/${code}`, OPS)).status).toBe(200);
    }
  });

  it('sells the demo catalog with them: a demo cart chooses a method and applies a code', async () => {
    const { http } = service;
    const cart = await createCart(http);
    await http.post(`/carts/${cart.id}/items`, { reference: 'DEMO-TRAIL-SHOE', quantity: 1 });
    const options = await http.get<{ options: { methodId: string; amount: number }[] }>(
      `/carts/${cart.id}/shipping-options`,
    );
    expect(options.body.options.map((option) => option.methodId).sort()).toEqual(['se-home', 'se-service-point']);
    expect((await http.put(`/carts/${cart.id}/shipping`, { methodId: 'se-home' })).status).toBe(200);
    const applied = await http.post<{ orderAmount: number; discount: { amount: number } }>(
      `/carts/${cart.id}/discount-codes`,
      { code: 'welcome10' },
    );
    expect(applied.status).toBe(200);
    // 1299 kr, 10 % off the items (129.90 kr); home delivery is free over 500 kr.
    expect(applied.body).toMatchObject({ orderAmount: 129_900 - 12_990, discount: { amount: 12_990 } });
  });

  it('prices the README example: a discount split over two tax rates', async () => {
    const { http } = service;
    const cart = await createCart(http);
    await http.post(`/carts/${cart.id}/items`, { reference: 'DEMO-RUNNING-SOCKS', quantity: 1 });
    await http.post(`/carts/${cart.id}/items`, { reference: 'DEMO-TRAIL-GUIDE', quantity: 1 });
    await http.put(`/carts/${cart.id}/shipping`, { methodId: 'se-service-point' });
    const applied = await http.post<{
      orderAmount: number;
      orderTaxAmount: number;
      orderLines: { type: string; reference: string; unitPrice: number; taxRate: number; totalTaxAmount: number }[];
    }>(`/carts/${cart.id}/discount-codes`, { code: 'LAUNCH20' });
    expect(applied.body).toMatchObject({ orderAmount: 38_160, orderTaxAmount: 4775 });
    expect(
      applied.body.orderLines.map((line) => [
        line.type,
        line.reference,
        line.unitPrice,
        line.taxRate,
        line.totalTaxAmount,
      ]),
    ).toEqual([
      ['physical', 'DEMO-RUNNING-SOCKS', 19_900, 2500, 3980],
      ['physical', 'DEMO-TRAIL-GUIDE', 24_900, 600, 1409],
      ['shipping_fee', 'se-service-point', 2900, 2500, 580],
      ['discount', 'LAUNCH20-600', -4980, 600, -282],
      ['discount', 'LAUNCH20-2500', -4560, 2500, -912],
    ]);
  });

  it('never seeds in production', async () => {
    const production = await startTestApp({
      DATABASE_URL: await migratedScratchDatabase('checkout_demo_prod'),
      NODE_ENV: 'production',
    });
    try {
      expect((await production.http.get('/shipping-methods', OPS)).body).toEqual([]);
    } finally {
      await production.close();
    }
  });
});
