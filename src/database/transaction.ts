import type pg from 'pg';

/**
 * Runs `run` in a transaction on a pooled connection of the pool Prisma's adapter uses: `begin` (by default a plain
 * BEGIN; the cart's change sends BEGIN with its row lock in one round trip), then `run`, then COMMIT; ROLLBACK when
 * anything throws. A connection that failed is dropped from the pool, not reused. Plain SQL here costs a fraction
 * of the client CPU of Prisma's interactive transactions (README, Performance).
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  run: (client: pg.PoolClient) => Promise<T>,
  begin: (client: pg.PoolClient) => Promise<unknown> = (client) => client.query('BEGIN'),
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A checked-out client's connection errors are the borrower's to handle (pg-pool listens only while it is idle):
  // a lost connection also fails the query in flight, and the client is then dropped instead of reused.
  const onError = (error: Error) => (broken = error);
  client.on('error', onError);
  try {
    await begin(client);
    const result = await run(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/**
 * A transaction's `begin` that also runs `statement` in the same round trip (the cart's row lock, the order Klarna's
 * push names) and answers its result. A simple query carries both but takes no parameters: the caller checks and
 * escapes every literal in `statement`.
 */
export async function beginWith<R extends pg.QueryResultRow>(
  client: pg.PoolClient,
  statement: string,
): Promise<pg.QueryResult<R>> {
  const results = (await client.query(`BEGIN; ${statement}`)) as unknown as pg.QueryResult<R>[];
  return results[1];
}
