import pg from 'pg';
import { resolve } from 'node:path';
// Jest loads global setup as CommonJS without the test module mapper, so these name the .ts files themselves.
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/database/embedded-database.ts';
import { ensureDatabase, migrate } from '../../src/database/migrator.ts';
import { assertTestDatabase } from './test-database.ts';

const MIGRATIONS_DIR = resolve('prisma/migrations');

const LOCAL_SERVER = 'postgresql://postgres@127.0.0.1:5432/postgres';

declare global {
  var __embeddedTestDatabase: EmbeddedDatabase | undefined;
}

/**
 * Picks the PostgreSQL server for this run (TEST_DATABASE_URL, else the local one on 5432 if reachable,
 * else the embedded one), creates this run's fresh database and applies the migrations. Jest workers
 * inherit the variables set here.
 */
export default async function globalSetup(): Promise<void> {
  const template = await chooseServerTemplate();
  const prefix = `klarna_bff_test_${Date.now().toString(36)}_${process.pid}`;
  const url = assertTestDatabase(template.replace('{database}', prefix));
  await ensureDatabase(url);
  await migrate(url, MIGRATIONS_DIR);
  process.env.TEST_RUN_DATABASE_URL = url;
  process.env.TEST_RUN_DATABASE_PREFIX = prefix;
  process.env.TEST_RUN_SERVER_URL_TEMPLATE = template;
}

async function chooseServerTemplate(): Promise<string> {
  const configured = process.env.TEST_DATABASE_URL;
  if (configured) return withDatabasePlaceholder(configured);
  if (await reachable(LOCAL_SERVER)) return withDatabasePlaceholder(LOCAL_SERVER);
  const embedded = await startEmbeddedDatabase('.data/test');
  globalThis.__embeddedTestDatabase = embedded;
  return embedded.urlFor('{database}');
}

function withDatabasePlaceholder(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.pathname = '/__database__';
  return url.toString().replace('__database__', '{database}');
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}
