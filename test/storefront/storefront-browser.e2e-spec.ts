/**
 * The demo storefront in a real browser: Debian's Chromium driven by playwright-core, the page served by the
 * service, the stand-in Klarna SDK served by the simulator, every call over real HTTP. The page's own code decides
 * what to call; the tests only click like a shopper and then check the service and Klarna (the simulator).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { migratedScratchDatabase } from '../catalog/catalog-test-kit.js';
import { eventually, startTestApp, type TestApp } from '../support/test-app.js';
import { STAND_IN_SDK_FILE } from '../../src/klarna-simulator/klarna-simulator.js';

const CHROMIUM = '/usr/bin/chromium';
const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const HAS_CHROMIUM = existsSync(CHROMIUM);
/** The flags the issue names; Playwright adds the remote-debugging pipe and the user data dir. */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const SCREENSHOTS = resolve('test-results/storefront');
const PAGE_MODULE = resolve('dist/web/storefront/web/main.js');

if (!HAS_CHROMIUM && !IN_CI) {
  // Only a developer's machine without the package skips; CI (CI=true) runs and fails loudly instead.
  process.stderr.write(
    `\nSKIPPED the storefront browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium; CI installs it)\n\n`,
  );
}
const describeInBrowser = HAS_CHROMIUM || IN_CI ? describe : describe.skip;

describeInBrowser('the demo storefront in Chromium', () => {
  let app: TestApp;
  let context: BrowserContext;
  let userDataDir: string;

  beforeAll(async () => {
    // `npm test` builds first; a suite run on its own builds the page here.
    if (!existsSync(PAGE_MODULE) || !existsSync(STAND_IN_SDK_FILE)) {
      execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    // A database of its own: the page lists what the market sells, here the demo catalog seeded at start.
    // As `npm start` runs it: physical lines need a shipping method (SHIPPING_REQUIRED), the demo data has two per market.
    app = await startTestApp({
      DATABASE_URL: await migratedScratchDatabase('storefront'),
      SHIPPING_REQUIRED: 'true',
    });
    userDataDir = mkdtempSync(join(tmpdir(), 'storefront-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 900 },
    });
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await app?.close();
  });

  /** A new tab (its own sessionStorage: a new cart) on the page, ready. */
  async function openStore(): Promise<Page> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${app.url}/`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    expect(errors).toEqual([]);
    return page;
  }

  const idle = (page: Page) =>
    page.waitForFunction(() => document.body.dataset.pending === '0', undefined, { timeout: 20_000 });
  const text = async (page: Page, testId: string) => (await page.getByTestId(testId).innerText()).trim();
  const widgetLog = async (page: Page) => (await page.getByTestId('widget-log').innerText()).split('\n');
  const count = (lines: string[], prefix: string) => lines.filter((line) => line.startsWith(prefix)).length;

  async function waitForWidget(page: Page, prefix: string, times: number): Promise<void> {
    await page.waitForFunction(
      ([wanted, n]) =>
        Array.from(document.querySelectorAll('#widget-log li')).filter((li) =>
          li.textContent?.startsWith(wanted as string),
        ).length >= (n as number),
      [prefix, times] as const,
      { timeout: 20_000 },
    );
  }

  async function addProduct(page: Page, reference: string): Promise<void> {
    await page.getByTestId(`add-${reference}`).click();
    await page.waitForSelector(`#cart-lines tr[data-reference="${reference}"]`, { timeout: 20_000 });
    await idle(page);
  }

  async function setQuantity(page: Page, reference: string, quantity: number): Promise<void> {
    const input = page.getByTestId(`quantity-${reference}`);
    await input.fill(String(quantity));
    // The change's own answer, not the last request: the page may read shipping options after it.
    const changed = page.waitForResponse(
      (response) => response.request().method() === 'PATCH' && /\/items\//.test(response.url()),
      { timeout: 20_000 },
    );
    await input.press('Tab');
    await changed;
    await page.waitForFunction(
      ([ref, q]) =>
        (document.querySelector(`[data-testid="quantity-${ref}"]`) as HTMLInputElement | null)?.value === String(q) &&
        document.body.dataset.pending === '0',
      [reference, quantity] as const,
      { timeout: 20_000 },
    );
  }

  /** Picks the market's first shipping option, as the shopper must before buying physical goods. */
  async function chooseShipping(page: Page): Promise<void> {
    const option = page.locator('#shipping-options input[name="shipping"]').first();
    await option.waitFor({ timeout: 20_000 });
    const chosen = page.waitForResponse(
      (response) => response.request().method() === 'PUT' && response.url().endsWith('/shipping'),
      { timeout: 20_000 },
    );
    await option.check();
    expect((await chosen).status()).toBe(200);
    await idle(page);
  }

  async function approveInWidget(page: Page, choice: string, screenshot?: string): Promise<void> {
    await page.getByTestId('buy').click();
    const dialog = page.getByRole('dialog', { name: 'Klarna (simulated)' });
    await dialog.waitFor({ timeout: 20_000 });
    if (screenshot) await page.screenshot({ path: join(SCREENSHOTS, screenshot) });
    await dialog.getByRole('button', { name: choice, exact: true }).click();
  }

  const cartIdOf = (page: Page) => page.evaluate(() => sessionStorage.getItem('demo-storefront.cartId'));

  async function sessionAtKlarna(sessionId: string) {
    const answer = await app.klarna.control<{ data: { order_amount: number; purchase_country: string } }>(
      'GET',
      `/sessions/${sessionId}`,
    );
    return answer.body.data;
  }

  it('(1) picks products, changes a quantity, loads the widget, authorizes and shows the order', async () => {
    const page = await openStore();
    await addProduct(page, 'DEMO-HEADLAMP');
    // The first line opens the Klarna session: init with its client token, then load.
    await waitForWidget(page, 'init (session', 1);
    await waitForWidget(page, 'load', 1);
    await addProduct(page, 'DEMO-RUNNING-SOCKS');
    expect(await text(page, 'last-action')).toBe('load');
    await setQuantity(page, 'DEMO-RUNNING-SOCKS', 3);
    expect(await text(page, 'last-action')).toBe('load');
    expect(await text(page, 'last-in-sync')).toBe('true');
    expect(await text(page, 'last-sync-error')).toBe('null');
    await waitForWidget(page, 'load', 3);
    await page.screenshot({ path: join(SCREENSHOTS, '01-cart.png'), fullPage: true });

    const cartId = (await cartIdOf(page))!;

    await chooseShipping(page);
    const cart = (
      await app.http.get<{ orderAmount: number; orderLines: { type: string }[]; klarna: { sessionId: string } }>(
        `/carts/${cartId}`,
      )
    ).body;
    expect(cart.orderLines.map((line) => line.type)).toContain('shipping_fee');
    // Klarna holds what the page shows: the quantity change and the shipping fee reached the session.
    expect((await sessionAtKlarna(cart.klarna.sessionId)).order_amount).toBe(cart.orderAmount);
    await approveInWidget(page, 'Approve', '02-klarna-dialog.png');
    await page.getByTestId('confirmation').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(SCREENSHOTS, '03-confirmation.png'), fullPage: true });
    const orderId = await text(page, 'order-id');
    expect(['placed', 'confirmed']).toContain(await text(page, 'order-status'));
    expect(await text(page, 'order-fraud-status')).toBe('ACCEPTED');

    const order = await app.http.get<{ status: string; orderAmount: number }>(`/orders/${orderId}`);
    expect(order.status).toBe(200);
    expect(order.body).toMatchObject({ orderAmount: cart.orderAmount });
    const orders = await app.database.query('SELECT count(*)::int AS n FROM "order" WHERE cart_id = $1', [cartId]);
    expect(orders.rows[0].n).toBe(1);
    await page.close();
  });

  it('(2) authorizes, then a cart change asks for reauthorize(), and the new approval is ordered', async () => {
    const page = await openStore();
    await addProduct(page, 'DEMO-TRAIL-SHOE');
    await chooseShipping(page);
    await waitForWidget(page, 'load', 1);
    await page.locator('#review-step').check();
    // The callback comes late, so the page's own "hold for review" reaches the service first.
    await approveInWidget(page, 'Approve, then send the callback late');
    await page.getByTestId('place-order').waitFor({ timeout: 20_000 });
    const cartId = (await cartIdOf(page))!;

    await setQuantity(page, 'DEMO-TRAIL-SHOE', 2);
    expect(await text(page, 'last-action')).toBe('reauthorize');
    expect(await page.getByTestId('buy').innerText()).toBe('Approve the changed cart');
    expect(await page.getByTestId('place-order').isHidden()).toBe(true);
    // The first approval went stale: the service refuses to order it.
    const stale = await app.http.post(`/carts/${cartId}/order`);
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'REAUTHORIZATION_REQUIRED' });

    await page.getByTestId('buy').click();
    const dialog = page.getByRole('dialog', { name: 'Klarna (simulated)' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('The cart changed after you approved');
    await page.screenshot({ path: join(SCREENSHOTS, '04-reauthorize.png'), fullPage: true });
    await dialog.getByRole('button', { name: 'Approve, then send the callback late', exact: true }).click();
    await waitForWidget(page, 'reauthorize → approved', 1);
    await page.getByTestId('place-order').waitFor({ timeout: 20_000 });
    await page.getByTestId('place-order').click();
    await page.getByTestId('confirmation').waitFor({ timeout: 20_000 });

    const cart = (await app.http.get<{ orderAmount: number; items: { quantity: number }[] }>(`/carts/${cartId}`)).body;
    expect(cart.items[0].quantity).toBe(2);
    const order = await app.http.get<{ orderAmount: number }>(`/orders/${await text(page, 'order-id')}`);
    expect(order.body.orderAmount).toBe(cart.orderAmount);
    const orders = await app.database.query('SELECT count(*)::int AS n FROM "order" WHERE cart_id = $1', [cartId]);
    expect(orders.rows[0].n).toBe(1);
    await page.close();
  });

  it('(3) a decline in the widget places no order and leaves the cart usable', async () => {
    const page = await openStore();
    await addProduct(page, 'DEMO-TRAIL-GUIDE');
    await chooseShipping(page);
    await waitForWidget(page, 'load', 1);
    const cartId = (await cartIdOf(page))!;

    await approveInWidget(page, 'Decline');
    await waitForWidget(page, 'authorize → not approved', 1);
    expect(await text(page, 'payment-status')).toContain('declined');
    await page.screenshot({ path: join(SCREENSHOTS, '05-declined.png'), fullPage: true });
    expect(await page.getByTestId('confirmation').isHidden()).toBe(true);
    const none = await app.database.query('SELECT count(*)::int AS n FROM "order" WHERE cart_id = $1', [cartId]);
    expect(none.rows[0].n).toBe(0);

    // Still a working cart: a change is pushed to Klarna, and a second try is ordered.
    await setQuantity(page, 'DEMO-TRAIL-GUIDE', 2);
    expect(await text(page, 'last-action')).toBe('load');
    expect(await text(page, 'last-in-sync')).toBe('true');
    await approveInWidget(page, 'Approve');
    await page.getByTestId('confirmation').waitFor({ timeout: 20_000 });
    const one = await app.database.query('SELECT count(*)::int AS n FROM "order" WHERE cart_id = $1', [cartId]);
    expect(one.rows[0].n).toBe(1);
    await page.close();
  });

  it('(4) a market change gets a new Klarna session: init with a new client token', async () => {
    const page = await openStore();
    await addProduct(page, 'DEMO-GIFT-WRAP');
    await addProduct(page, 'DEMO-HEADLAMP');
    await waitForWidget(page, 'init (session', 1);
    const firstSession = (await widgetLog(page)).find((line) => line.startsWith('init (session'));

    await page.getByTestId('market').selectOption('GB');
    await waitForWidget(page, 'init (session', 2);
    await idle(page);
    const inits = (await widgetLog(page)).filter((line) => line.startsWith('init (session'));
    expect(inits[1]).not.toBe(firstSession);
    expect(await text(page, 'last-action')).toBe('init');
    // Gift wrap is not sold in GB: the server removed it and said so.
    expect(await text(page, 'notices')).toContain('ITEM_REMOVED: DEMO-GIFT-WRAP');
    expect(await text(page, 'cart-total')).toContain('£');
    // The market change dropped no method (none was chosen); GB has methods of its own.
    await chooseShipping(page);

    const cartId = (await cartIdOf(page))!;
    const cart = (
      await app.http.get<{ purchaseCurrency: string; klarna: { sessionId: string }; orderAmount: number }>(
        `/carts/${cartId}`,
      )
    ).body;
    expect(cart.purchaseCurrency).toBe('GBP');
    expect(inits[1]).toContain(cart.klarna.sessionId);
    const atKlarna = await sessionAtKlarna(cart.klarna.sessionId);
    expect(atKlarna).toMatchObject({ purchase_country: 'GB', order_amount: cart.orderAmount });
    await page.screenshot({ path: join(SCREENSHOTS, '06-market-change.png'), fullPage: true });

    await approveInWidget(page, 'Approve');
    await page.getByTestId('confirmation').waitFor({ timeout: 20_000 });
    const orderId = await text(page, 'order-id');
    const order = await eventually(async () => {
      const answer = await app.http.get<{ purchaseCurrency: string; status: string }>(`/orders/${orderId}`);
      return answer.status === 200 ? answer.body : undefined;
    });
    expect(order.purchaseCurrency).toBe('GBP');
    expect(count(await widgetLog(page), 'authorize → approved')).toBe(1);
    await page.close();
  });
});
