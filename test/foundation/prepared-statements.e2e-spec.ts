import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PrismaService } from '../../src/database/prisma.service.js';
import { rowsOf } from '../../src/database/sql.js';
import { Prisma } from '../../src/generated/prisma/client.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Issue 14: parameterised statements, Prisma's and the repositories' plain SQL on node-postgres, are prepared once per
 * connection, not parsed and planned each time.
 */
describe('parameterised statements on the pool', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('Prisma’s are prepared by name on the connection that ran them, and run again under that name', async () => {
    const { body: cart } = await app.http.post<{ id: string }>('/carts', {
      purchaseCountry: 'SE',
      purchaseCurrency: 'SEK',
      locale: 'sv-SE',
    });
    const prisma = app.app.get(PrismaService);
    // One transaction holds one connection: the statement and the view of that session's prepared statements.
    const prepared = await prisma.$transaction(async (tx) => {
      for (let run = 0; run < 2; run++) await tx.cart.findUnique({ where: { id: cart.id } });
      return tx.$queryRaw<{ name: string; statement: string; calls: bigint }[]>`
        SELECT name, statement, generic_plans + custom_plans AS calls FROM pg_prepared_statements`;
    });
    const lookup = prepared.find((row) => row.statement.includes('FROM "public"."cart"'));
    expect(lookup?.name).toMatch(/^prisma_\d+$/);
    expect(Number(lookup?.calls)).toBeGreaterThanOrEqual(2);
  });

  it('the repositories’ plain SQL on node-postgres is prepared by name too', async () => {
    const { body: cart } = await app.http.post<{ id: string }>('/carts', {
      purchaseCountry: 'SE',
      purchaseCurrency: 'SEK',
      locale: 'sv-SE',
    });
    const client = await app.app.get(PrismaService).pool.connect();
    try {
      for (let run = 0; run < 2; run++)
        await rowsOf(client, Prisma.sql`SELECT status FROM cart WHERE id = ${cart.id}::uuid`);
      const { rows } = await client.query<{ name: string; calls: string }>(
        `SELECT name, generic_plans + custom_plans AS calls FROM pg_prepared_statements WHERE statement LIKE 'SELECT status FROM cart%'`,
      );
      expect(rows).toEqual([{ name: expect.stringMatching(/^sql_\d+$/), calls: '2' }]);
    } finally {
      client.release();
    }
  });
});
