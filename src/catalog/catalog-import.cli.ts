import { readFile } from 'node:fs/promises';
import { loadConfig, loadEnvFile, processEnvironment } from '../config/app-config.js';
import { ValidationFailedError } from '../common/errors.js';
import { startEmbeddedDatabase } from '../database/embedded-database.js';
import { PrismaService } from '../database/prisma.service.js';
import { CatalogRepository } from './catalog.repository.js';
import { CatalogService } from './catalog.service.js';
import { PostgresCatalog } from './postgres-catalog.js';

// `npm run catalog:import -- FILE`: the import of POST /catalog/import, from a .csv or .json file, into
// DATABASE_URL (or the embedded database). Apply migrations first (npm run db:migrate).
loadEnvFile();
const file = process.argv[2];
if (!file) {
  process.stderr.write('Usage: npm run catalog:import -- FILE (.csv, or .json: an array or { products, taxRates })\n');
  process.exit(2);
}
const config = loadConfig(processEnvironment());
const embedded = config.databaseUrl === undefined ? await startEmbeddedDatabase(config.dataDir) : undefined;
const prisma = new PrismaService({ ...config, databaseUrl: config.databaseUrl ?? embedded!.url });
const repository = new CatalogRepository();
const service = new CatalogService(prisma, repository, new PostgresCatalog(prisma, repository), config);
let exitCode = 0;
try {
  const text = await readFile(file, 'utf8');
  const csv = /\.csv$/i.test(file);
  const result = await service.importCatalog(csv ? text : JSON.parse(text), csv ? 'csv' : 'json');
  console.log(JSON.stringify({ event: 'catalog.imported', file, ...result }));
} catch (error) {
  exitCode = 1;
  if (error instanceof ValidationFailedError) {
    process.stderr.write(`${file}: nothing imported, ${error.errors.length} problem(s):\n`);
    for (const problem of error.errors) {
      process.stderr.write(
        `  ${problem.row === undefined ? '' : `row ${problem.row}: `}${problem.field}: ${problem.message}\n`,
      );
    }
  } else {
    process.stderr.write(`${file}: nothing imported: ${(error as Error).message}\n`);
  }
} finally {
  await prisma.$disconnect();
  await embedded?.stop();
}
process.exit(exitCode);
