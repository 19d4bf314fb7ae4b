import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { JobQueueService, SCHEDULED_JOB_POLLING } from '../jobs/job-queue.service.js';
import { RETENTION_BATCH, RetentionRepository } from './retention.repository.js';

export const RETENTION_JOB = 'retention';
const DAY_MS = 86_400_000;

export interface RetentionResult {
  deletedCarts: number;
  scrubbedCarts: number;
  scrubbedWebhookEvents: number;
}

/**
 * Keeps shoppers' data only as long as needed: carts never ordered are deleted CART_RETENTION_DAYS after their
 * last change; personal data of the rest (the cart's customer details, webhook payloads beyond ids and amounts) is
 * removed after PERSONAL_DATA_RETENTION_DAYS. Orders, their operations and amounts are never touched.
 * Runs as a pg-boss cron job (RETENTION_CRON, UTC): one instance runs it per tick.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly jobs: JobQueueService,
    private readonly repository: RetentionRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.work(
      RETENTION_JOB,
      async () => {
        await this.run();
      },
      SCHEDULED_JOB_POLLING,
    );
    if (this.config.retention.cron !== undefined) await this.jobs.schedule(RETENTION_JOB, this.config.retention.cron);
  }

  async run(now = new Date()): Promise<RetentionResult> {
    const cartCutoff = new Date(now.getTime() - this.config.retention.cartDays * DAY_MS);
    const personalDataCutoff = new Date(now.getTime() - this.config.retention.personalDataDays * DAY_MS);
    const result: RetentionResult = {
      deletedCarts: await inBatches(() => this.repository.deleteIdleUnorderedCarts(cartCutoff)),
      scrubbedCarts: await inBatches(() => this.repository.scrubCartCustomers(personalDataCutoff)),
      scrubbedWebhookEvents: await inBatches(() => this.repository.scrubWebhookPayloads(personalDataCutoff)),
    };
    this.logger.log({ event: 'retention.completed', ...result });
    return result;
  }
}

async function inBatches(step: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const count = await step();
    total += count;
    if (count < RETENTION_BATCH) return total;
  }
}
