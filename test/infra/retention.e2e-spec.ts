import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MIGRATIONS_DIR } from '../../src/database/migrations-dir.js';
import { migrate } from '../../src/database/migrator.js';
import { RETENTION_JOB, RetentionService } from '../../src/retention/retention.service.js';
import { createCartWithSession, type CartBody } from '../factories/cart.factory.js';
import { eventually, startTestApp, type TestApp } from '../support/test-app.js';
import { createScratchDatabase } from '../support/test-database.js';

const CUSTOMER = {
  billingAddress: {
    givenName: 'Eva',
    familyName: 'Ek',
    email: 'eva@example.com',
    phone: '+46701234567',
    country: 'SE',
  },
  customer: { dateOfBirth: '1980-01-31' },
};

describe('the retention job', () => {
  let service: TestApp;
  beforeAll(async () => {
    const databaseUrl = await createScratchDatabase('retention');
    await migrate(databaseUrl, MIGRATIONS_DIR);
    service = await startTestApp({
      DATABASE_URL: databaseUrl,
      AUTHORIZATION_CALLBACK_GRACE_MS: '3600000',
      RETENTION_CRON: '30 3 * * *',
    });
  });
  afterAll(() => service.close());

  async function cartWithCustomer(): Promise<{ cart: CartBody; sessionId: string }> {
    const { cart, session } = await createCartWithSession(service.http);
    expect((await service.http.put(`/carts/${cart.id}/customer`, CUSTOMER)).status).toBe(200);
    return { cart, sessionId: session.sessionId };
  }

  async function ordered(): Promise<CartBody> {
    const { cart, sessionId } = await cartWithCustomer();
    const token = await service.klarna.authorize(sessionId);
    const placed = await service.http.post(`/carts/${cart.id}/klarna-session/authorizations`, {
      authorizationToken: token,
    });
    expect(placed.status).toBe(201);
    // Klarna's push follows on its own and moves the order to confirmed: wait for it before moving the clock.
    await eventually(async () => {
      const { rows } = await service.database.query<{ status: string }>(
        'SELECT status FROM "order" WHERE cart_id = $1',
        [cart.id],
      );
      return rows[0]?.status === 'confirmed' ? true : undefined;
    });
    return cart;
  }

  /** Moves a cart's (and its session's and order's) last activity `days` into the past. */
  async function age(cartId: string, days: number): Promise<void> {
    const interval = `${days} days`;
    await service.database.query(
      `UPDATE cart SET updated_at = now() - $2::interval, created_at = now() - $2::interval WHERE id = $1`,
      [cartId, interval],
    );
    await service.database.query(`UPDATE klarna_session SET updated_at = now() - $2::interval WHERE cart_id = $1`, [
      cartId,
      interval,
    ]);
    await service.database.query(
      `UPDATE "order" SET updated_at = now() - $2::interval, created_at = now() - $2::interval WHERE cart_id = $1`,
      [cartId, interval],
    );
  }

  async function cartRow(cartId: string) {
    const { rows } = await service.database.query<{ customer: unknown }>('SELECT customer FROM cart WHERE id = $1', [
      cartId,
    ]);
    return rows[0];
  }

  it('deletes idle carts never ordered, scrubs old personal data, and never touches orders or their carts', async () => {
    const abandoned = (await cartWithCustomer()).cart;
    await age(abandoned.id, 31);
    const recent = (await cartWithCustomer()).cart;
    await age(recent.id, 29);
    const oldOrder = await ordered();
    await age(oldOrder.id, 100);
    const monthOldOrder = await ordered();
    await age(monthOldOrder.id, 31);
    // A cancelled order stands for money as much as a placed one. (Not `placing`: the order jobs would reconcile it
    // and hold its cart's lock meanwhile, which the job skips, and that would prove nothing.)
    const cancelled = (await cartWithCustomer()).cart;
    await service.database.query(
      `INSERT INTO "order" (id, cart_id, status, order_amount, order_tax_amount, purchase_country, purchase_currency, order_lines, merchant_reference1, updated_at)
       VALUES (gen_random_uuid(), $1, 'cancelled', 1000, 200, 'SE', 'SEK', '[]', 'ref', now())`,
      [cancelled.id],
    );
    await age(cancelled.id, 31);
    const { rows: ordersBefore } = await service.database.query('SELECT * FROM "order" ORDER BY id');
    await service.database.query(
      `INSERT INTO webhook_event (id, kind, dedupe_key, payload, received_at) VALUES
       (gen_random_uuid(), 'push', 'old-1', $1, now() - interval '100 days'),
       (gen_random_uuid(), 'push', 'new-1', $1, now())`,
      [
        JSON.stringify({
          order_id: 'K-1',
          session_id: 'S-1',
          event_type: 'FRAUD_RISK_ACCEPTED',
          order_amount: 12_900,
          email: 'eva@example.com',
          billing_address: { street_address: 'Storgatan 1' },
        }),
      ],
    );

    const result = await service.app.get(RetentionService).run();

    expect(result).toEqual({ deletedCarts: 1, scrubbedCarts: 1, scrubbedWebhookEvents: 1 });
    expect(await cartRow(abandoned.id)).toBeUndefined();
    const leftovers = await service.database.query(
      'SELECT (SELECT count(*) FROM cart_item WHERE cart_id = $1) + (SELECT count(*) FROM klarna_session WHERE cart_id = $1) AS n',
      [abandoned.id],
    );
    expect(leftovers.rows[0].n).toBe('0');
    expect((await cartRow(recent.id))?.customer).toMatchObject(CUSTOMER);
    expect(await cartRow(oldOrder.id)).toEqual({ customer: null });
    expect((await cartRow(monthOldOrder.id))?.customer).toMatchObject(CUSTOMER);
    expect((await cartRow(cancelled.id))?.customer).toMatchObject(CUSTOMER);
    // Orders (amounts, ids, lines) are exactly as they were.
    const { rows: ordersAfter } = await service.database.query('SELECT * FROM "order" ORDER BY id');
    expect(ordersAfter).toEqual(ordersBefore);
    const { rows: events } = await service.database.query<{ dedupe_key: string; payload: unknown }>(
      "SELECT dedupe_key, payload FROM webhook_event WHERE dedupe_key IN ('old-1', 'new-1') ORDER BY dedupe_key",
    );
    expect(events).toEqual([
      { dedupe_key: 'new-1', payload: expect.objectContaining({ email: 'eva@example.com' }) },
      {
        dedupe_key: 'old-1',
        payload: { order_id: 'K-1', session_id: 'S-1', event_type: 'FRAUD_RISK_ACCEPTED', order_amount: 12_900 },
      },
    ]);
    // Ordered carts keep their lines and amounts.
    expect((await service.http.get<CartBody>(`/carts/${oldOrder.id}`)).body.orderAmount).toBe(oldOrder.orderAmount);

    expect(await service.app.get(RetentionService).run()).toEqual({
      deletedCarts: 0,
      scrubbedCarts: 0,
      scrubbedWebhookEvents: 0,
    });
  });

  it('is scheduled with pg-boss on RETENTION_CRON', async () => {
    const { rows } = await service.database.query<{ name: string; cron: string }>(
      `SELECT name, cron FROM ${service.config.jobsSchema}.schedule WHERE name = $1`,
      [RETENTION_JOB],
    );
    expect(rows).toEqual([{ name: RETENTION_JOB, cron: service.config.retention.cron }]);
  });
});
