import type pg from 'pg';

/**
 * The backend that holds a cart's row lock, or undefined. Suites share one database, so "some backend idle in a
 * transaction" may be another suite's: a row locked FOR UPDATE carries its locker's transaction id in `xmax`, and
 * that transaction id is held by exactly one backend.
 */
export async function cartLockHolder(
  database: pg.Client,
  cartId: string,
): Promise<{ pid: number; state: string } | undefined> {
  const { rows } = await database.query<{ pid: number; state: string }>(
    `SELECT activity.pid, activity.state
       FROM cart
       JOIN pg_locks lock ON lock.locktype = 'transactionid' AND lock.transactionid = cart.xmax AND lock.granted
       JOIN pg_stat_activity activity ON activity.pid = lock.pid
      WHERE cart.id = $1 AND lock.mode = 'ExclusiveLock'`,
    [cartId],
  );
  return rows[0];
}

/**
 * The backends waiting, directly or in a queue behind another waiter, for a lock that backend `holderPid` holds.
 * Suites share the database: a count of all lock waiters would count theirs too.
 */
export async function waitingBehind(database: pg.Client, holderPid: number): Promise<number[]> {
  const { rows } = await database.query<{ pid: number }>(
    `WITH RECURSIVE waiting(pid) AS (
       SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))
       UNION
       SELECT activity.pid FROM pg_stat_activity activity JOIN waiting ON waiting.pid = ANY(pg_blocking_pids(activity.pid))
     )
     SELECT pid FROM waiting`,
    [holderPid],
  );
  return rows.map((row) => row.pid);
}

/** The backend's own pid, to find who waits behind it. */
export async function backendPid(database: pg.Client): Promise<number> {
  return (await database.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
}
