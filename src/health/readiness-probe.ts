import { Injectable, Logger } from '@nestjs/common';
import pg from 'pg';
import { AppConfig } from '../config/app-config.js';
import { PrismaService } from '../database/prisma.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { MIGRATIONS_DIR } from '../database/migrations-dir.js';
import { pendingMigrations } from '../database/migrator.js';

/** Longest a readiness check may take: load balancers probe every few seconds and must get an answer. */
const CHECK_TIMEOUT_MS = 2000;

export interface CheckResult {
  /** `busy` keeps the instance ready: a pool full of slow requests is not a reason to take it out. */
  status: 'up' | 'busy' | 'down';
  /** For operators only (ops port or OPS_API_KEY): never in the public answer. */
  reason?: string;
  pending?: string[];
}

/**
 * Readiness on a connection of its own, outside the service's pool: a pool held by slow requests must not fail
 * every instance's readiness at once, and a dead database must answer 503 within CHECK_TIMEOUT_MS instead of
 * waiting for a pooled connection. The pool of one reconnects by itself after PostgreSQL restarts.
 */
@Injectable()
export class ReadinessProbe {
  private readonly logger = new Logger(ReadinessProbe.name);
  private readonly pool: pg.Pool;
  /** Applied migrations never become unapplied: once up to date, only reachability is checked again. */
  private migrated = false;

  constructor(
    config: AppConfig,
    private readonly prisma: PrismaService,
    metrics: MetricsService,
  ) {
    this.pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: 1,
      connectionTimeoutMillis: CHECK_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      statement_timeout: CHECK_TIMEOUT_MS,
      application_name: 'klarna-bff-readiness',
    });
    // A restart of PostgreSQL ends the idle connection; the pool drops it and connects anew on the next check.
    this.pool.on('error', (error) => this.logger.warn({ event: 'readiness.connection_lost', code: codeOf(error) }));
    metrics.observeDatabasePool(() => prisma.poolStats());
  }

  /** The service's own pool: every connection taken (or requests waiting for one) means busy, not down. */
  poolCheck(): CheckResult {
    const stats = this.prisma.poolStats();
    const allTaken = stats.total >= stats.size && stats.idle === 0;
    if (stats.waiting === 0 && !allTaken) return { status: 'up' };
    return {
      status: 'busy',
      reason: `${stats.waiting} waiting for a connection, ${stats.total} of ${stats.size} open`,
    };
  }

  async check(): Promise<{ database: CheckResult; migrations: CheckResult }> {
    try {
      await withTimeout(this.pool.query('SELECT 1'), CHECK_TIMEOUT_MS);
    } catch (error) {
      const reason = describe(error);
      return { database: { status: 'down', reason }, migrations: { status: 'down', reason: 'database down' } };
    }
    if (this.migrated) return { database: { status: 'up' }, migrations: { status: 'up' } };
    try {
      const pending = await withTimeout(
        pendingMigrations(MIGRATIONS_DIR, async (sql) => (await this.pool.query<{ migration_name: string }>(sql)).rows),
        CHECK_TIMEOUT_MS,
      );
      this.migrated = pending.length === 0;
      return {
        database: { status: 'up' },
        migrations: pending.length ? { status: 'down', pending } : { status: 'up' },
      };
    } catch (error) {
      return { database: { status: 'up' }, migrations: { status: 'down', reason: describe(error) } };
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('readiness check timed out'), { code: 'TIMEOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A short reason for operators: the error's code and PostgreSQL's message, which names no host or credentials. */
function describe(error: unknown): string {
  const code = codeOf(error);
  if (code === '42P01') return 'migrations table missing';
  if (code && /^[A-Z]/.test(code) && code.length > 5) return code; // ECONNREFUSED, TIMEOUT...
  return code ? `SQLSTATE ${code}` : 'unreachable';
}
