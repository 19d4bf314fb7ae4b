import { loadConfig, loadEnvFile, processEnvironment } from '../config/app-config.js';
import { startEmbeddedDatabase } from './embedded-database.js';
import { MIGRATIONS_DIR } from './migrations-dir.js';
import { ensureDatabase, migrate } from './migrator.js';

// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or to the embedded database).
loadEnvFile();
const config = loadConfig(processEnvironment());
const embedded = config.databaseUrl === undefined ? await startEmbeddedDatabase(config.dataDir) : undefined;
const databaseUrl = config.databaseUrl ?? embedded!.url;
try {
  await ensureDatabase(databaseUrl);
  const result = await migrate(databaseUrl, MIGRATIONS_DIR);
  console.log(
    JSON.stringify({
      event: 'migrations.applied',
      applied: result.applied,
      alreadyApplied: result.alreadyApplied.length,
    }),
  );
} finally {
  await embedded?.stop();
}
