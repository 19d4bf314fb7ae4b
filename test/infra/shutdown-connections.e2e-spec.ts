import { describe, expect, it } from '@jest/globals';
import { PrismaService } from '../../src/database/prisma.service.js';
import { startTestApp } from '../support/test-app.js';

/**
 * The shutdown's last step closes connections still checked out (PrismaService.disconnect). Their borrower then
 * sees its query fail and gives the connection back: that second release must be a no-op, not pg-pool's
 * "Release called on client which has already been released" thrown from a socket callback (an uncaught
 * exception that kills the process while it stops).
 */
describe('connections still in use when the service closes', () => {
  it('lets a pooled query and Prisma’s own query fail cleanly instead of crashing on a second release', async () => {
    const service = await startTestApp();
    const prisma = service.app.get(PrismaService);
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      const pooled = prisma.pool.query('SELECT pg_sleep(5)').then(
        () => 'answered',
        () => 'failed',
      );
      const throughPrisma = prisma.$queryRaw`SELECT pg_sleep(5)`.then(
        () => 'answered',
        () => 'failed',
      );
      // Both queries hold a connection before the close starts.
      const inFlight = async () =>
        (
          await service.database.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(5)'`,
          )
        ).rows[0].n as number;
      for (let attempt = 0; (await inFlight()) < 2; attempt++) {
        if (attempt > 100) throw new Error('the queries never started');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await service.close();
      expect([await pooled, await throughPrisma]).toEqual(['failed', 'failed']);
      // The second release would throw on the next tick after the failed query's callback.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
    }
  });
});
