import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
// The pg-boss release this service ran on before (a dev dependency alias), to build the old schema for real.
import PgBossV10 from 'pg-boss-v10';
import { loadConfig } from '../../src/config/app-config.js';
import { JobQueueService } from '../../src/jobs/job-queue.service.js';
import { createScratchDatabase } from '../support/test-database.js';
import { eventually } from '../support/test-app.js';

async function rows<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('job queue schema upgrade from pg-boss 10', () => {
  it('moves unfinished jobs of a pg-boss 10 schema into the current pg-boss, in place', async () => {
    const url = await createScratchDatabase('pgboss10');
    const old = new PgBossV10({ connectionString: url, schema: 'jobs', schedule: false, supervise: false });
    await old.start();
    await old.createQueue('order.reconcile', { name: 'order.reconcile', policy: 'stately' });
    const dueId = await old.send('order.reconcile', { orderId: 'due' }, { singletonKey: 'due', retryLimit: 7 });
    const laterId = await old.send(
      'order.reconcile',
      { orderId: 'later' },
      { singletonKey: 'later', startAfter: new Date(Date.now() + 3_600_000) },
    );
    const cancelledId = await old.send('order.reconcile', { orderId: 'cancelled' }, { singletonKey: 'gone' });
    await old.cancel('order.reconcile', cancelledId!);
    await old.stop({ graceful: false, wait: true });
    expect(await rows(url, 'SELECT version FROM jobs.version')).toEqual([{ version: 24 }]);

    const received: { orderId: string }[] = [];
    const queue = new JobQueueService({
      ...loadConfig({ RETENTION_CRON: 'off' }),
      databaseUrl: url,
      jobsSchema: 'jobs',
    });
    try {
      await queue.onModuleInit();
      await queue.work<{ orderId: string }>('order.reconcile', async (data) => {
        received.push(data);
      });
      await eventually(async () => (received.length > 0 ? true : undefined));
      expect(received).toEqual([{ orderId: 'due' }]);

      const moved = await rows<{ id: string; singleton_key: string; retry_limit: number; state: string }>(
        url,
        `SELECT id, singleton_key, retry_limit, state FROM jobs.job WHERE name = 'order.reconcile' ORDER BY singleton_key`,
      );
      expect(moved).toEqual([
        { id: dueId, singleton_key: 'due', retry_limit: 7, state: 'completed' },
        { id: laterId, singleton_key: 'later', retry_limit: expect.any(Number), state: 'created' },
      ]);
      const schemas = await rows<{ nspname: string }>(
        url,
        `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'jobs%'`,
      );
      expect(schemas).toEqual([{ nspname: 'jobs' }]);
    } finally {
      await queue.onApplicationShutdown();
    }

    // A second start finds nothing left to upgrade and keeps the jobs.
    const again = new JobQueueService({
      ...loadConfig({ RETENTION_CRON: 'off' }),
      databaseUrl: url,
      jobsSchema: 'jobs',
    });
    await again.onModuleInit();
    await again.onApplicationShutdown();
    expect(await rows(url, `SELECT count(*)::int AS n FROM jobs.job`)).toEqual([{ n: 2 }]);
  });
});
