import pg from 'pg';

/**
 * Test databases: every run creates its own, named `klarna_bff_test_<run>...`, on the server chosen by
 * global-setup.ts, and drops them at the end. Helpers refuse any database whose name lacks `test`.
 */
export function assertTestDatabase(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name.includes('test'))
    throw new Error(`Refusing to use database "${name}" in tests: its name must contain "test"`);
  return url;
}

/** The migrated database of this test run. */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_RUN_DATABASE_URL;
  if (!url) throw new Error('TEST_RUN_DATABASE_URL is not set: run the tests through jest (global-setup.ts)');
  return assertTestDatabase(url);
}

/** An empty database of its own, for tests that must see a database from scratch (the migrator's). */
export async function createScratchDatabase(label: string): Promise<string> {
  const template = process.env.TEST_RUN_SERVER_URL_TEMPLATE;
  const prefix = process.env.TEST_RUN_DATABASE_PREFIX;
  if (!template || !prefix) throw new Error('Run the tests through jest (global-setup.ts)');
  const name = `${prefix}_${label}_${Math.random().toString(36).slice(2, 8)}`;
  const url = assertTestDatabase(template.replace('{database}', name));
  const admin = new pg.Client({ connectionString: template.replace('{database}', 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  return url;
}
