import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MIGRATIONS_DIR } from '../../src/database/migrations-dir.js';
import { migrate } from '../../src/database/migrator.js';
import { createCartWithSession } from '../factories/cart.factory.js';
import { startTestApp, type RecordedKlarnaCall, type TestApp } from '../support/test-app.js';
import { createScratchDatabase } from '../support/test-database.js';

async function migratedDatabase(label: string): Promise<string> {
  const url = await createScratchDatabase(label);
  await migrate(url, MIGRATIONS_DIR);
  return url;
}

/** WEBHOOK_SECRET unset (as in development): each instance must find the one kept in the database. */
const NO_SECRET = { WEBHOOK_SECRET: '' };

describe('two instances on one database', () => {
  let databaseUrl: string;
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    databaseUrl = await migratedDatabase('siblings');
    [first, second] = await Promise.all([
      startTestApp({ ...NO_SECRET, DATABASE_URL: databaseUrl }),
      startTestApp({ ...NO_SECRET, DATABASE_URL: databaseUrl }),
    ]);
  });
  afterAll(async () => {
    await first.close();
    await second.close();
  });

  it('generate the webhook secret once and agree on it, also after a restart', async () => {
    expect(first.config.webhookSecret).toHaveLength(64);
    expect(second.config.webhookSecret).toBe(first.config.webhookSecret);
    const { rows } = await first.database.query<{ count: string }>('SELECT count(*) FROM app_setting');
    expect(rows[0].count).toBe('1');

    const restarted = await startTestApp({ ...NO_SECRET, DATABASE_URL: databaseUrl });
    try {
      expect(restarted.config.webhookSecret).toBe(first.config.webhookSecret);
    } finally {
      await restarted.close();
    }
  });

  it("accept each other's signed callback URLs, which an instance on another database refuses", async () => {
    const { cart, session } = await createCartWithSession(first.http);
    const [created] = await first.klarnaCalls<RecordedKlarnaCall>('createSession');
    const signed = new URL((created.body.merchant_urls as { authorization: string }).authorization);
    expect(signed.searchParams.get('cart_id')).toBe(cart.id);
    const callback = { authorization_token: 'token-from-klarna', session_id: session.sessionId };
    const path = `${signed.pathname}${signed.search}`;

    const atSibling = await second.http.post<{ status: string }>(path, callback);
    expect(atSibling.status).toBe(200);
    expect(atSibling.body.status).toBe('accepted');

    const stranger = await startTestApp({ ...NO_SECRET, DATABASE_URL: await migratedDatabase('stranger') });
    try {
      expect((await stranger.http.post(path, callback)).status).toBe(401);
    } finally {
      await stranger.close();
    }
  });
});
