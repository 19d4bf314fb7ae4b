import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DomainError, KlarnaUnavailableError } from '../common/errors.js';
import { PrismaService } from '../database/prisma.service.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { KlarnaSessionService } from '../klarna-session/klarna-session.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { COMPLETE_PLACEMENT_JOB, OrderService, PLACE_FROM_CALLBACK_JOB } from './order.service.js';

const SWEEP_INTERVAL_MS = 30_000;

/**
 * Places orders from Klarna's authorization callback, completes placements whose outcome is unknown, reports
 * open ones and releases authorizations that will never become orders.
 */
@Injectable()
export class OrderJobsWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OrderJobsWorker.name);
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly jobs: JobQueueService,
    private readonly orders: OrderService,
    private readonly klarnaSessions: KlarnaSessionService,
    private readonly prisma: PrismaService,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.work<{ cartId: string; authorizationToken: string }>(PLACE_FROM_CALLBACK_JOB, async (job) => {
      try {
        await this.orders.placeFromCallback(job.cartId, job.authorizationToken);
      } catch (error) {
        // A refusal is an answer (recorded on the order); only an unknown outcome is worth a retry.
        if (!(error instanceof DomainError) || error instanceof KlarnaUnavailableError) throw error;
        this.logger.log({ event: 'order.callback_placement_refused', cartId: job.cartId, code: error.code });
      }
    });
    await this.jobs.work<{ orderId: string }>(COMPLETE_PLACEMENT_JOB, (job) =>
      this.orders.completePlacement(job.orderId),
    );
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** Before the database closes (the graceful shutdown closes it last, see src/lifecycle). */
  beforeApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  /** One round of the 30 s sweep: stuck and unresolved placements, their gauges, unused authorizations. */
  async sweep(): Promise<void> {
    try {
      const { stuck, needingAttention } = await this.orders.sweepOpenPlacements();
      this.metrics.ordersStuckPlacing.set(stuck);
      this.metrics.ordersNeedingAttention.set(needingAttention);
      await this.klarnaSessions.releaseUnusedAuthorizations(this.prisma);
    } catch (error) {
      this.logger.error({ event: 'order.sweep_failed', err: error });
    }
  }
}
