import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { JobQueueService, SCHEDULED_JOB_POLLING } from '../jobs/job-queue.service.js';
import { OPERATION_RETRY_JOB, OrderManagementService } from './order-management.service.js';
import { ReconciliationService } from './reconciliation.service.js';

export const RECONCILE_JOB = 'order.reconcile-om';
export const EXPIRING_REPORT_JOB = 'order.expiring-report';
/** Once a day (UTC), with the reconciliation's schedule. */
const EXPIRING_REPORT_CRON = '0 7 * * *';

/** Background work of Order Management: retries of unknown operations, the reconciliation, the expiry report. */
@Injectable()
export class OrderManagementWorker implements OnApplicationBootstrap {
  constructor(
    private readonly jobs: JobQueueService,
    private readonly management: OrderManagementService,
    private readonly reconciliation: ReconciliationService,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.work<{ operationId: string }>(OPERATION_RETRY_JOB, (job) =>
      this.management.retryOperation(job.operationId),
    );
    await this.jobs.work(
      RECONCILE_JOB,
      async () => {
        await this.reconciliation.run();
      },
      SCHEDULED_JOB_POLLING,
    );
    await this.jobs.work(
      EXPIRING_REPORT_JOB,
      async () => {
        await this.reconciliation.reportExpiring();
      },
      SCHEDULED_JOB_POLLING,
    );
    if (this.config.reconcile.cron !== undefined) {
      await this.jobs.schedule(RECONCILE_JOB, this.config.reconcile.cron);
      await this.jobs.schedule(EXPIRING_REPORT_JOB, EXPIRING_REPORT_CRON);
    }
  }
}
