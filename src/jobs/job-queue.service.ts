import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import PgBoss from 'pg-boss';
import { AppConfig } from '../config/app-config.js';

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

  constructor(config: AppConfig) {
    this.boss = new PgBoss({
      connectionString: config.databaseUrl,
      max: 2,
      schedule: false,
      supervise: true,
    });
    this.boss.on('error', (error) => this.logger.error({ event: 'jobs.error', err: error }));
  }

  onModuleInit(): Promise<void> {
    this.started ??= this.boss.start().then(() => undefined);
    return this.started;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.started;
    await this.boss.stop({ graceful: true, timeout: 5000 });
  }

  async send<T extends object>(name: string, data: T, options: PgBoss.SendOptions): Promise<void> {
    await this.ensureQueue(name);
    await this.boss.send(name, data, options);
  }

  async work<T extends object>(name: string, handler: (data: T) => Promise<void>): Promise<void> {
    await this.ensureQueue(name);
    await this.boss.work<T>(name, { pollingIntervalSeconds: 0.5, batchSize: 1 }, async (jobs: PgBoss.Job<T>[]) => {
      for (const job of jobs) await handler(job.data);
    });
  }

  private async ensureQueue(name: string): Promise<void> {
    await this.onModuleInit();
    if (this.queues.has(name)) return;
    // stately: at most one queued and one running job per singletonKey (e.g. per cart).
    await this.boss.createQueue(name, { name, policy: 'stately' });
    this.queues.add(name);
  }
}
