import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { AppConfig } from '../config/app-config.js';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';
import { preparedStatementNames } from './statement-names.js';

export interface PoolStats {
  size: number;
  total: number;
  idle: number;
  /** Requests waiting for a connection: the pool is the bottleneck. */
  waiting: number;
}

/**
 * The application's one Prisma client, on node-postgres through the driver adapter (no native engine). Its pool
 * is ours so that waiting is bounded everywhere: for a connection (DATABASE_ACQUIRE_TIMEOUT_MS, then 503
 * SERVICE_BUSY), for a row lock (lock_timeout) and for a statement (statement_timeout).
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  /** The pool under Prisma's adapter; the cart's hot path runs plain SQL on it (src/cart/cart-store.ts). */
  readonly pool: pg.Pool;

  constructor(config: AppConfig) {
    const pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: config.databasePoolSize,
      connectionTimeoutMillis: config.databaseAcquireTimeoutMs,
      lock_timeout: config.databaseLockTimeoutMs,
      statement_timeout: config.databaseStatementTimeoutMs,
      application_name: 'klarna-bff',
    });
    const nameOf = preparedStatementNames('prisma');
    // The adapter hands the name to node-postgres, for which no name (undefined) means an unnamed statement.
    const statementNameGenerator = nameOf as (query: { sql: string; args: unknown[] }) => string;
    super({ adapter: new PrismaPg(pool, { disposeExternalPool: true, statementNameGenerator }) });
    this.pool = pool;
  }

  /**
   * Shutdown's last step. A connection still checked out belongs to a request the shutdown cut (the cart's hot path
   * holds its transaction on one while Klarna answers): it is closed, its transaction rolled back, so the pool ends.
   * Its borrower (our transaction, Prisma's adapter, or pg-pool's own `pool.query`) gives it back once its query
   * fails on the closed connection; pg-pool throws on that second release, from a socket callback where nothing can
   * catch it, so the connection's release becomes a no-op first (pg-pool sets a fresh one on every checkout, and a
   * connection released with an error is never checked out again).
   */
  async disconnect(): Promise<void> {
    for (const client of checkedOutClients(this.pool)) {
      client.release(new Error('The service is shutting down'));
      client.release = () => undefined;
    }
    await this.$disconnect();
  }

  poolStats(): PoolStats {
    return {
      size: this.pool.options.max ?? 10,
      total: this.pool.totalCount,
      idle: this.pool.idleCount,
      waiting: this.pool.waitingCount,
    };
  }

  /**
   * Not onModuleDestroy: that runs before the HTTP server drains. LifecycleService disconnects in its order
   * (after the requests and the jobs); this only catches an app closed before that ran.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}

/**
 * The pool's clients that are not idle in it, read from pg-pool's own lists at shutdown. Not tracked from the pool's
 * `acquire` and `release` events: that would be two listener calls per query and a `Set` gaining and losing an entry
 * per query, the churn InFlightList explains. (The 200 KB promoted per minor GC once blamed on those listeners was V8's
 * allocation-site pretenuring, now off: bench/README.md, "Garbage collection and the young generation".) The
 * graceful-shutdown test cuts a request that holds a connection; it fails if these lists change.
 */
function checkedOutClients(pool: pg.Pool): pg.PoolClient[] {
  const lists = pool as unknown as { _clients: pg.PoolClient[]; _idle: { client: pg.PoolClient }[] };
  const idle = new Set(lists._idle.map((item) => item.client));
  return lists._clients.filter((client) => !idle.has(client));
}

/** The client handed to repositories inside an explicit transaction. */
export type PrismaTransaction = Prisma.TransactionClient;

/**
 * Options for a transaction that waits for Klarna inside it (the cart's row lock is held across the call):
 * room for a Klarna call at its timeout and one retry-free follow-up, instead of Prisma's 5 s default.
 */
export function transactionOptionsFor(config: AppConfig): { timeout: number; maxWait: number } {
  return { timeout: config.klarna.timeoutMs * 2 + 5000, maxWait: config.databaseAcquireTimeoutMs };
}
