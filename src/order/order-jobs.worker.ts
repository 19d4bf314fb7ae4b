import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { OrderService, PLACE_FROM_CALLBACK_JOB, RECONCILE_ORDER_JOB } from './order.service.js';

const SWEEP_INTERVAL_MS = 30_000;

/** Places orders from Klarna's authorization callback, reconciles lost placements, reports stuck ones. */
@Injectable()
export class OrderJobsWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OrderJobsWorker.name);
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly jobs: JobQueueService,
    private readonly orders: OrderService,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.work<{ cartId: string; authorizationToken: string }>(PLACE_FROM_CALLBACK_JOB, async (job) => {
      await this.orders.placeFromCallback(job.cartId, job.authorizationToken);
    });
    await this.jobs.work<{ orderId: string }>(RECONCILE_ORDER_JOB, (job) => this.orders.reconcile(job.orderId));
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  private async sweep(): Promise<void> {
    try {
      this.metrics.ordersStuckPlacing.set(await this.orders.sweepStuckPlacements());
    } catch (error) {
      this.logger.error({ event: 'order.sweep_failed', err: error });
    }
  }
}
