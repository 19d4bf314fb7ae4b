import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { addItem, anItem, createCartWithSession, type CartBody } from '../factories/cart.factory.js';
import type { HttpClient } from '../support/http.js';
import { backendPid, cartLockHolder, waitingBehind } from '../support/row-locks.js';
import { eventually, startTestApp, type TestApp } from '../support/test-app.js';

/** The cart's hot path in plain SQL (src/cart/cart-store.ts): its lock, its one read, its one write. */
describe('cart store', () => {
  let service: TestApp;
  let http: HttpClient;
  beforeAll(async () => {
    service = await startTestApp();
    http = service.http;
  });
  afterAll(() => service.close());

  const updateCalls = async (sessionId: string) =>
    (await service.klarnaCalls<{ path: string }>('updateSession')).filter((call) => call.path.includes(sessionId));

  it('a change that changes nothing keeps the version, writes nothing and calls no Klarna', async () => {
    const { cart, session } = await createCartWithSession(http, [{ quantity: 2 }]);
    const before = await service.database.query<{ xmin: string }>('SELECT xmin FROM cart WHERE id = $1', [cart.id]);
    const calls = (await updateCalls(session.sessionId)).length;

    const same = await http.patch<CartBody>(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity: 2 });

    expect(same.status).toBe(200);
    expect(same.body.version).toBe(cart.version);
    expect(same.body.klarna).toMatchObject({ inSync: true, action: 'none', syncedVersion: cart.version });
    const after = await service.database.query<{ xmin: string }>('SELECT xmin FROM cart WHERE id = $1', [cart.id]);
    expect(after.rows[0].xmin).toBe(before.rows[0].xmin);
    expect(await updateCalls(session.sessionId)).toHaveLength(calls);
  });

  it('a change waits for the cart lock and prices what the holder committed (no lost update)', async () => {
    const { cart } = await createCartWithSession(http, [{ quantity: 1 }]);
    const holder = new pg.Client({ connectionString: service.config.databaseUrl, application_name: 'lock-holder' });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM cart WHERE id = $1 FOR UPDATE', [cart.id]);
      // Another writer under the lock (as an order's re-pricing would be): a quantity and the version move.
      await holder.query('UPDATE cart_item SET quantity = 7 WHERE cart_id = $1', [cart.id]);
      await holder.query('UPDATE cart SET version = version + 1 WHERE id = $1', [cart.id]);

      const added = http.post<CartBody>(`/carts/${cart.id}/items`, await anItem(http, { unitPrice: 5_000 }));
      const holderPid = await backendPid(holder);
      await eventually(async () => ((await waitingBehind(service.database, holderPid)).length > 0 ? true : undefined));
      await holder.query('COMMIT');

      const answer = await added;
      expect(answer.status).toBe(201);
      expect(answer.body.version).toBe(cart.version + 2);
      expect(answer.body.items.map((item) => item.quantity)).toEqual([7, 1]);
      const stored = await service.database.query<{ quantity: number }>(
        'SELECT quantity FROM cart_item WHERE cart_id = $1 ORDER BY position',
        [cart.id],
      );
      expect(stored.rows.map((row) => row.quantity)).toEqual([7, 1]);
    } finally {
      await holder.end();
    }
  });

  it('a connection lost while a change waits for Klarna answers 503 and the service keeps serving', async () => {
    const { cart } = await createCartWithSession(http, [{ quantity: 1 }]);
    await service.klarna.control('POST', '/faults', { operation: 'updateSession', latencyMs: 1500 });
    try {
      const changed = http.patch<CartBody>(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity: 3 });
      // The change holds its transaction (and the cart's lock) while Klarna answers: cut that connection.
      const backend = await eventually(async () => {
        const holder = await cartLockHolder(service.database, cart.id);
        return holder?.state === 'idle in transaction' ? holder : undefined;
      });
      await service.database.query('SELECT pg_terminate_backend($1)', [backend.pid]);
      const answer = await changed;
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    } finally {
      await service.klarna.control('DELETE', '/faults');
    }
    const after = await http.patch<CartBody>(`/carts/${cart.id}/items/${cart.items[0].id}`, { quantity: 4 });
    expect(after.status).toBe(200);
    expect(after.body.items[0].quantity).toBe(4);
  });

  it('reads a cart, its lines, session and newest authorization in one answer equal to the last change', async () => {
    const { cart } = await createCartWithSession(http);
    const changed = await addItem(http, cart.id, { unitPrice: 2_000 });
    const read = await http.get<CartBody>(`/carts/${cart.id}`);
    expect(read.status).toBe(200);
    // The widget's action is what a change asks of it ('load'); a read asks nothing.
    const withoutAction = (body: CartBody) => ({ ...body, notices: [], klarna: { ...body.klarna, action: undefined } });
    expect(withoutAction(read.body)).toEqual(withoutAction(changed));
    expect(read.body.klarna).toMatchObject({ inSync: true, action: 'none' });
    expect((await http.get(`/carts/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
  });
});
