import { fileURLToPath } from 'node:url';

/** prisma/migrations of the project, both from src/ (tests) and dist/ (built service). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
