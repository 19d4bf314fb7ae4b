import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createCartWithSession } from '../factories/cart.factory.js';
import { KlarnaSessionRepository } from '../../src/klarna-session/klarna-session.repository.js';
import { eventually, startTestApp, type TestApp } from '../support/test-app.js';

/** The session repository's combined reads against the plain ones they stand for. */
describe('Klarna session repository', () => {
  let service: TestApp;
  let pool: pg.Pool;
  let sessions: KlarnaSessionRepository;

  beforeAll(async () => {
    service = await startTestApp({ AUTHORIZATION_CALLBACK_GRACE_MS: '600000' });
    pool = new pg.Pool({ connectionString: service.config.databaseUrl, max: 1 });
    sessions = service.app.get(KlarnaSessionRepository);
  });
  afterAll(async () => {
    await pool.end();
    await service.close();
  });

  it('reads the live session and an authorization in one statement exactly as the two reads do', async () => {
    const { cart, session } = await createCartWithSession(service.http);
    const token = await service.klarna.authorize(session.sessionId);
    // Klarna's authorization callback records the token.
    const authorization = await eventually(() =>
      sessions.findAuthorization(pool, token).then((row) => row ?? undefined),
    );

    const combined = await sessions.findLiveSessionAndAuthorization(pool, cart.id, token);

    expect(combined.session).toEqual(await sessions.findByCart(pool, cart.id));
    expect(combined.session?.expiresAt).toBeInstanceOf(Date);
    expect(combined.authorization).toEqual(authorization);
    expect(combined.authorization?.createdAt).toBeInstanceOf(Date);
    expect(await sessions.findLiveSessionAndAuthorization(pool, cart.id, 'unknown-token')).toEqual({
      session: combined.session,
      authorization: null,
    });
  });
});
