import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { PgBoss, type SendOptions } from 'pg-boss';
import { InFlightList } from '../common/in-flight-list.js';
import { AppConfig } from '../config/app-config.js';
import { moveV10Jobs, setAsideV10Schema } from './pgboss-v10-upgrade.js';

/** Polling for hourly and daily jobs: a few seconds late is fine, and polling less keeps the database quiet. */
export const SCHEDULED_JOB_POLLING = { pollingIntervalSeconds: 10 };

/**
 * Background jobs on pg-boss: Postgres-backed, so several instances share the work and nothing is lost
 * in a restart. One queue per job name; handlers are registered by the modules that own the work.
 */
@Injectable()
export class JobQueueService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(JobQueueService.name);
  private readonly boss: PgBoss;
  private readonly queues = new Set<string>();
  private started: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  /** Jobs whose handler runs in this process now (name and id): named in the log if a shutdown runs out of time. */
  private readonly running = new InFlightList<string>();

  constructor(private readonly config: AppConfig) {
    this.boss = new PgBoss({
      connectionString: config.databaseUrl,
      schema: config.jobsSchema,
      max: 2,
      // Cron schedules (the retention job, the reconciliation): pg-boss makes sure one instance sends each scheduled job.
      schedule: config.retention.cron !== undefined || config.reconcile.cron !== undefined,
      supervise: true,
    });
    this.boss.on('error', (error) => this.logger.error({ event: 'jobs.error', err: error }));
  }

  onModuleInit(): Promise<void> {
    this.started ??= this.start();
    return this.started;
  }

  /** After the graceful shutdown (LifecycleService) this finds pg-boss stopped already. */
  onApplicationShutdown(): Promise<void> {
    return this.stop(5000);
  }

  /** Stops fetching jobs and waits up to `timeoutMs` for the running ones; then closes pg-boss's connections. */
  stop(timeoutMs: number): Promise<void> {
    this.stopped ??= (async () => {
      await this.started?.catch(() => undefined);
      await this.boss.stop({ graceful: true, timeout: timeoutMs });
    })();
    return this.stopped;
  }

  runningJobs(): string[] {
    return [...this.running];
  }

  /** Sends `name` on the cron expression (UTC); pg-boss keeps one schedule per name across instances. */
  async schedule(name: string, cron: string): Promise<void> {
    await this.ensureQueue(name);
    await this.boss.schedule(name, cron, {}, { tz: 'UTC' });
  }

  async send<T extends object>(name: string, data: T, options: SendOptions): Promise<void> {
    await this.ensureQueue(name);
    await this.boss.send(name, data, options);
  }

  /**
   * `pollingIntervalSeconds` (default 0.5): a scheduled job that runs hourly need not poll twice a second.
   * `localConcurrency` (default 1): jobs of this queue this process runs side by side (one slow one holds up no other).
   */
  async work<T extends object>(
    name: string,
    handler: (data: T) => Promise<void>,
    {
      pollingIntervalSeconds = 0.5,
      localConcurrency = 1,
    }: { pollingIntervalSeconds?: number; localConcurrency?: number } = {},
  ): Promise<void> {
    await this.ensureQueue(name);
    const worker: { id?: string } = {};
    const options = { pollingIntervalSeconds, batchSize: 1, localConcurrency };
    worker.id = await this.boss.work<T>(name, options, async ([job]) => {
      const running = this.running.add(`${name} ${job.id}`);
      try {
        await handler(job.data);
      } finally {
        this.running.remove(running);
      }
      // pg-boss waits a polling interval even after finding work; a busy queue is drained at once instead.
      if (worker.id) this.boss.notifyWorker(worker.id);
    });
  }

  private async start(): Promise<void> {
    const databaseUrl = this.config.databaseUrl ?? '';
    const schema = this.config.jobsSchema;
    if (await setAsideV10Schema(databaseUrl, schema)) {
      this.logger.warn({ event: 'jobs.schema_upgrade', schema, from: 'pg-boss 10' });
    }
    await this.boss.start();
    const moved = await moveV10Jobs(databaseUrl, schema, this.boss, (name) => this.ensureQueue(name, false));
    if (moved > 0) this.logger.warn({ event: 'jobs.schema_upgraded', schema, movedJobs: moved });
  }

  private async ensureQueue(name: string, waitForStart = true): Promise<void> {
    if (waitForStart) await this.onModuleInit();
    if (this.queues.has(name)) return;
    // Instances starting together race to create the queue's tables, which PostgreSQL may end in a deadlock.
    for (let attempt = 1; !(await this.boss.getQueue(name)); attempt++) {
      try {
        // stately: at most one queued and one running job per singletonKey (e.g. per cart).
        await this.boss.createQueue(name, { policy: 'stately' });
      } catch (error) {
        if ((error as { code?: string }).code !== '40P01' || attempt >= 5) throw error;
      }
    }
    this.queues.add(name);
  }
}
