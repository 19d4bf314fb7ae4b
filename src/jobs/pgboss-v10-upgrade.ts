import pg from 'pg';
import type { JobInsert, PgBoss } from 'pg-boss';

/**
 * pg-boss 11 and later cannot migrate a pg-boss 10 schema (its oldest migration starts from schema 25; v10 is
 * 24), and its release notes leave moving the jobs to the application. An existing database therefore upgrades
 * in two steps around `boss.start()`:
 *
 * 1. `setAsideV10Schema`: a schema still at version 24 is renamed to `<schema>_v10`, so pg-boss creates its
 *    current schema under the configured name.
 * 2. `moveV10Jobs`: every job that had not finished (created, retry, active) is inserted into the new queues with
 *    its id, data, retry settings, start time and singleton key, and the old schema is dropped, in one
 *    transaction. A job that was active when the old version stopped runs again: every job of this service is
 *    safe to repeat.
 *
 * Both steps hold an advisory lock, so instances that start together move each job once.
 */
const PGBOSS_V10_SCHEMA_VERSION = 24;
const UPGRADE_LOCK = 'klarna-bff:pg-boss-v10-upgrade';

interface V10Job {
  id: string;
  name: string;
  data: object | null;
  priority: number;
  retry_limit: number;
  retry_delay: number;
  retry_backoff: boolean;
  start_after: Date;
  singleton_key: string | null;
  expire_in_seconds: number;
}

export function legacySchemaName(schema: string): string {
  return `${schema}_v10`;
}

/** Renames a pg-boss 10 schema out of the way; true when it did. */
export async function setAsideV10Schema(connectionString: string, schema: string): Promise<boolean> {
  return withLock(connectionString, async (client) => {
    const version = await schemaVersion(client, schema);
    if (version !== PGBOSS_V10_SCHEMA_VERSION) return false;
    await client.query(
      `ALTER SCHEMA ${pg.escapeIdentifier(schema)} RENAME TO ${pg.escapeIdentifier(legacySchemaName(schema))}`,
    );
    return true;
  });
}

/**
 * Moves the unfinished jobs of a set-aside pg-boss 10 schema into the running pg-boss, then drops the old
 * schema; returns how many jobs moved (0 when there is nothing to upgrade).
 */
export async function moveV10Jobs(
  connectionString: string,
  schema: string,
  boss: PgBoss,
  ensureQueue: (name: string) => Promise<void>,
): Promise<number> {
  const legacy = legacySchemaName(schema);
  return withLock(connectionString, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [legacy]);
    if (!rowCount) return 0;
    const { rows } = await client.query<V10Job>(
      `SELECT id, name, data, priority, retry_limit, retry_delay, retry_backoff, start_after, singleton_key,
              EXTRACT(EPOCH FROM expire_in)::int AS expire_in_seconds
       FROM ${pg.escapeIdentifier(legacy)}.job
       WHERE state IN ('created', 'retry', 'active') AND name NOT LIKE '\\_\\_pgboss%'
       ORDER BY created_on`,
    );
    const byQueue = new Map<string, JobInsert[]>();
    for (const job of rows) {
      const jobs = byQueue.get(job.name) ?? [];
      jobs.push({
        id: job.id,
        data: job.data ?? {},
        priority: job.priority,
        retryLimit: job.retry_limit,
        retryDelay: job.retry_delay,
        retryBackoff: job.retry_backoff,
        startAfter: job.start_after,
        singletonKey: job.singleton_key ?? undefined,
        expireInSeconds: Math.max(1, job.expire_in_seconds),
      });
      byQueue.set(job.name, jobs);
    }
    // Queues are created outside the transaction (pg-boss creates their tables on its own connections).
    for (const name of byQueue.keys()) await ensureQueue(name);
    const db = { executeSql: (text: string, values?: unknown[]) => client.query(text, values) };
    await client.query('BEGIN');
    try {
      for (const [name, jobs] of byQueue) await boss.insert(name, jobs, { db });
      await client.query(`DROP SCHEMA ${pg.escapeIdentifier(legacy)} CASCADE`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    return rows.length;
  });
}

async function schemaVersion(client: pg.Client, schema: string): Promise<number | undefined> {
  const { rows } = await client.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [
    `${pg.escapeIdentifier(schema)}.version`,
  ]);
  if (!rows[0]?.exists) return undefined;
  const version = await client.query<{ version: number }>(
    `SELECT version FROM ${pg.escapeIdentifier(schema)}.version LIMIT 1`,
  );
  return version.rows[0]?.version;
}

async function withLock<T>(connectionString: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [UPGRADE_LOCK]);
    return await work(client);
  } finally {
    await client.end();
  }
}
