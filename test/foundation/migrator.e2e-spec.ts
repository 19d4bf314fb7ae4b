import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { MigrationError, migrate, pendingMigrations, readMigrations } from '../../src/database/migrator.js';
import { createScratchDatabase } from '../support/test-database.js';

const MIGRATIONS_DIR = resolve('prisma/migrations');

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

describe('migrator', () => {
  it('applies every migration and records it the way Prisma does', async () => {
    const url = await createScratchDatabase('migrate');
    const result = await migrate(url, MIGRATIONS_DIR);
    const onDisk = await readMigrations(MIGRATIONS_DIR);
    expect(result.applied).toEqual(onDisk.map((migration) => migration.name));

    const rows = await query<{
      migration_name: string;
      checksum: string;
      applied_steps_count: number;
      finished_at: Date | null;
    }>(
      url,
      'SELECT migration_name, checksum, applied_steps_count, finished_at FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(rows).toEqual(
      onDisk.map((migration) => ({
        migration_name: migration.name,
        checksum: migration.checksum,
        applied_steps_count: 1,
        finished_at: expect.any(Date),
      })),
    );
    expect(onDisk[0].checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(await pendingMigrations(MIGRATIONS_DIR, (sql) => query(url, sql))).toEqual([]);
  });

  it('is idempotent: a second run applies nothing', async () => {
    const url = await createScratchDatabase('idempotent');
    await migrate(url, MIGRATIONS_DIR);
    const second = await migrate(url, MIGRATIONS_DIR);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied.length).toBeGreaterThan(0);
    const rows = await query<{ count: string }>(url, 'SELECT count(*) FROM "_prisma_migrations"');
    expect(Number(rows[0].count)).toBe(second.alreadyApplied.length);
  });

  it('applies each migration once when several instances start together', async () => {
    const url = await createScratchDatabase('concurrent');
    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(url, MIGRATIONS_DIR)));
    const appliedCount = results.reduce((sum, result) => sum + result.applied.length, 0);
    const onDisk = await readMigrations(MIGRATIONS_DIR);
    expect(appliedCount).toBe(onDisk.length);
    const rows = await query<{ count: string }>(url, 'SELECT count(*) FROM "_prisma_migrations"');
    expect(Number(rows[0].count)).toBe(onDisk.length);
  });

  it('refuses to run when an applied migration was changed', async () => {
    const url = await createScratchDatabase('checksum');
    const dir = await copyOfMigrations();
    await migrate(url, dir);
    const [first] = await readMigrations(dir);
    await writeFile(join(dir, first.name, 'migration.sql'), `${first.sql}\n-- edited after release\n`);
    await expect(migrate(url, dir)).rejects.toThrow(MigrationError);
    await expect(migrate(url, dir)).rejects.toThrow(`Migration ${first.name} was changed after it was applied`);
  });

  it('applies a new migration on top and rolls back a failing one, leaving it marked unfinished', async () => {
    const url = await createScratchDatabase('incremental');
    const dir = await copyOfMigrations();
    await migrate(url, dir);
    await mkdir(join(dir, '29990101000000_add_note'));
    await writeFile(
      join(dir, '29990101000000_add_note', 'migration.sql'),
      'ALTER TABLE "cart" ADD COLUMN "note" TEXT;\n',
    );
    expect((await migrate(url, dir)).applied).toEqual(['29990101000000_add_note']);

    await mkdir(join(dir, '29990102000000_broken'));
    await writeFile(
      join(dir, '29990102000000_broken', 'migration.sql'),
      'ALTER TABLE "cart" ADD COLUMN "x" TEXT;\nSELECT no_such_function();\n',
    );
    await expect(migrate(url, dir)).rejects.toThrow('Migration 29990102000000_broken failed');
    const columns = await query<{ column_name: string }>(
      url,
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'cart' AND column_name = 'x'`,
    );
    expect(columns).toEqual([]);
    await expect(migrate(url, dir)).rejects.toThrow('failed earlier and was never finished');
  });
});
