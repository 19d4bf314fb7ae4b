import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { PrismaService } from '../database/prisma.service.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { EventDeliveryService } from './event-delivery.service.js';
import { OrderEventRepository, type ClaimedEvent } from './order-event.repository.js';

export const DELIVER_EVENT_JOB = 'events.deliver';
/** Orders whose head event one sweep hands to the jobs. */
const CLAIMS_PER_SWEEP = 100;
const DELIVERIES_AT_ONCE = 4;

/**
 * Every MERCHANT_WEBHOOK_POLL_MS: claims each order's next due event and queues a pg-boss job that delivers it (and
 * the order's next ones), and refreshes the backlog metrics. A claim holds only so long, so an event whose job or
 * instance died is claimed again: at least once, never out of order.
 */
@Injectable()
export class OrderEventsWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OrderEventsWorker.name);
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    private readonly jobs: JobQueueService,
    private readonly delivery: EventDeliveryService,
    private readonly events: OrderEventRepository,
    private readonly prisma: PrismaService,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.delivery.enabled) {
      this.logger.warn({ event: 'merchant_events.delivery_off', reason: 'MERCHANT_WEBHOOK_URL is not set' });
      return;
    }
    // Several deliveries at once, so that one order whose receiver times out does not hold up the others.
    await this.jobs.work<ClaimedEvent>(DELIVER_EVENT_JOB, (claim) => this.delivery.deliverFrom(claim), {
      localConcurrency: DELIVERIES_AT_ONCE,
    });
    this.sweeper = setInterval(() => void this.sweep(), this.config.merchantWebhook.pollMs);
    this.sweeper.unref();
    this.logger.log({
      event: 'merchant_events.delivery_on',
      receiver: new URL(this.config.merchantWebhook.url!).origin,
    });
  }

  /** Before the database closes (the graceful shutdown closes it last, see src/lifecycle). */
  beforeApplicationShutdown(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const claims = await this.events.claimDue(this.prisma, this.delivery.queuedClaimMs, CLAIMS_PER_SWEEP);
      for (const claim of claims) {
        // One job per claim (its token is unique): a stuck job of a dead instance never holds back the next claim.
        await this.jobs.send(DELIVER_EVENT_JOB, claim, { singletonKey: claim.claimToken, retryLimit: 0 });
      }
      const backlog = await this.events.backlog(this.prisma);
      this.metrics.merchantEventsBacklog.set(backlog.pending);
      this.metrics.merchantEventsOldestAge.set(backlog.oldestAgeSeconds);
      this.metrics.merchantEventsDead.set(backlog.dead);
    } catch (error) {
      if (this.sweeper) this.logger.error({ event: 'merchant_events.sweep_failed', err: error });
    } finally {
      this.sweeping = false;
    }
  }
}
