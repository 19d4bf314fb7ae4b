import pg from 'pg';

/** Drops every database this run created (they share its prefix) and stops the embedded server. */
export default async function globalTeardown(): Promise<void> {
  const template = process.env.TEST_RUN_SERVER_URL_TEMPLATE;
  const prefix = process.env.TEST_RUN_DATABASE_PREFIX;
  if (template && prefix) {
    const admin = new pg.Client({ connectionString: template.replace('{database}', 'postgres') });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
        [prefix],
      );
      for (const { datname } of rows) {
        await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
      }
    } finally {
      await admin.end();
    }
  }
  await globalThis.__embeddedTestDatabase?.stop();
}
