/**
 * How much client CPU Prisma adds per cart-change transaction: the same transaction of 4 plain SQL statements
 * through PrismaClient (`$transaction` + `$queryRaw`, adapter-pg) and through `pg` directly, sequentially, on a
 * fresh database. Run after `npm run build`: `node bench/prisma-overhead.mjs` (BENCH_POSTGRES_URL as for run.mjs).
 */
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { cpuUsage } from 'node:process';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../dist/generated/prisma/client.js';
import { ensureDatabase, migrate } from '../dist/database/migrator.js';

const server = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const database = `bench_prisma_${process.pid}`;
const url = `${server}/${database}`;
const TRANSACTIONS = 2000;

await ensureDatabase(url);
const admin = new pg.Client({ connectionString: `${server}/postgres` });
await admin.connect();
try {
  await migrate(url, fileURLToPath(new URL('../prisma/migrations', import.meta.url)));
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const prismaPool = new pg.Pool({ connectionString: url, max: 4 });
  const prisma = new PrismaClient({ adapter: new PrismaPg(prismaPool) });
  const {
    rows: [cart],
  } = await pool.query(
    `INSERT INTO cart (id, purchase_country, purchase_currency, locale) VALUES (gen_random_uuid(), 'SE', 'SEK', 'sv-SE') RETURNING id`,
  );

  const throughPrisma = () =>
    prisma.$transaction(async (tx) => {
      await tx.$queryRaw`UPDATE cart SET version = version + 1 WHERE id = ${cart.id}::uuid RETURNING id, version`;
      await tx.$queryRaw`SELECT id, quantity, unit_price FROM cart_item WHERE cart_id = ${cart.id}::uuid ORDER BY position`;
      await tx.$queryRaw`SELECT id, session_id FROM klarna_session WHERE cart_id = ${cart.id}::uuid`;
      await tx.$queryRaw`SELECT status FROM klarna_authorization WHERE cart_id = ${cart.id}::uuid LIMIT 1`;
    });
  const throughPg = async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('UPDATE cart SET version = version + 1 WHERE id = $1::uuid RETURNING id, version', [cart.id]);
      await client.query('SELECT id, quantity, unit_price FROM cart_item WHERE cart_id = $1::uuid ORDER BY position', [
        cart.id,
      ]);
      await client.query('SELECT id, session_id FROM klarna_session WHERE cart_id = $1::uuid', [cart.id]);
      await client.query('SELECT status FROM klarna_authorization WHERE cart_id = $1::uuid LIMIT 1', [cart.id]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  };

  const results = {};
  for (const [name, run] of [
    ['prisma', throughPrisma],
    ['pg', throughPg],
    ['prisma', throughPrisma],
    ['pg', throughPg],
  ]) {
    for (let i = 0; i < 200; i++) await run();
    const cpuBefore = cpuUsage();
    const started = performance.now();
    for (let i = 0; i < TRANSACTIONS; i++) await run();
    const cpu = cpuUsage(cpuBefore);
    results[name] = {
      wallMicrosPerTransaction: Math.round(((performance.now() - started) * 1000) / TRANSACTIONS),
      clientCpuMicrosPerTransaction: Math.round((cpu.user + cpu.system) / TRANSACTIONS),
    };
  }
  console.log(JSON.stringify(results));
  console.log(
    `Prisma adds ${results.prisma.clientCpuMicrosPerTransaction - results.pg.clientCpuMicrosPerTransaction} µs of client CPU per transaction of 4 statements (second round of each)`,
  );
  await prisma.$disconnect();
  await prismaPool.end();
  await pool.end();
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}
