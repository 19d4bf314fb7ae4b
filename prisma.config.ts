import { defineConfig } from 'prisma/config';

// The Prisma CLI is used for `prisma generate` here; migrations are applied by src/database/migrator.ts,
// which keeps `_prisma_migrations` compatible so `prisma migrate deploy` works where the engine exists.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/klarna_bff' },
});
