import pg from 'pg';
import type { Prisma } from '../generated/prisma/client.js';
import type { PrismaTransaction } from './prisma.service.js';
import { preparedStatementNames } from './statement-names.js';

/**
 * Where a repository's SQL runs: Prisma's client or one of its transactions, or a node-postgres client of the same
 * pool (the cart's hot path, src/cart/cart-store.ts, holds its transaction there). The statements are the same
 * `Prisma.sql` text on both.
 */
export type Db = PrismaTransaction | pg.PoolClient | pg.Pool;

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether PostgreSQL reads `value` as a `uuid` (in its hyphenated form): checked before a query that casts it. */
export function isUuidText(value: string): boolean {
  return UUID_TEXT.test(value);
}

/** A statement kept as text with `$n` parameters (prepared by name on node-postgres). */
export interface NamedQuery {
  name: string;
  text: string;
  values: unknown[];
}

export async function rowsOfNamed<T>(db: Db, query: NamedQuery): Promise<T[]> {
  if (db instanceof pg.Client || db instanceof pg.Pool) return (await db.query(query)).rows as T[];
  return (db as PrismaTransaction).$queryRawUnsafe<T[]>(query.text, ...query.values);
}

/** One name per `Prisma.sql` text run on node-postgres, as Prisma's own statements get through its adapter. */
const statementNameOf = preparedStatementNames('sql');

export async function rowsOf<T>(db: Db, query: Prisma.Sql): Promise<T[]> {
  if (db instanceof pg.Client || db instanceof pg.Pool) {
    const { text, values } = query;
    return (await db.query({ name: statementNameOf({ sql: text, args: values }), text, values })).rows as T[];
  }
  return (db as PrismaTransaction).$queryRaw<T[]>(query);
}
