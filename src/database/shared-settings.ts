import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { AppConfig } from '../config/app-config.js';

const WEBHOOK_SECRET = 'webhook_secret';

/**
 * Outside production an unset WEBHOOK_SECRET is generated once and kept in `app_setting`, so a restart or a
 * sibling instance on the same database signs and accepts the same callback URLs. The first instance to start
 * writes it (INSERT ... ON CONFLICT DO NOTHING: instances starting together agree on one value). A boot step
 * on a connection of its own, like the migrator: the application's configuration must be final before Nest
 * builds its providers. In production WEBHOOK_SECRET is required and the database is never asked.
 */
export async function withSharedWebhookSecret(config: AppConfig): Promise<AppConfig> {
  if (!config.generatedSettings.includes('WEBHOOK_SECRET') || config.databaseUrl === undefined) return config;
  const client = new pg.Client({ connectionString: config.databaseUrl });
  await client.connect();
  try {
    await client.query('INSERT INTO app_setting (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
      WEBHOOK_SECRET,
      randomBytes(32).toString('hex'),
    ]);
    const { rows } = await client.query<{ value: string }>('SELECT value FROM app_setting WHERE name = $1', [
      WEBHOOK_SECRET,
    ]);
    return { ...config, webhookSecret: rows[0].value };
  } catch (error) {
    // A database without migrations (readiness then says so): keep the per-process secret.
    if ((error as { code?: string }).code === '42P01') return config;
    throw error;
  } finally {
    await client.end();
  }
}
