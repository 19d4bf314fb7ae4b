import { Injectable, Logger } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { CartService } from '../cart/cart.service.js';
import { withDeadline } from '../common/deadline.js';
import { AppConfig } from '../config/app-config.js';
import { PrismaService } from '../database/prisma.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { afterFailure, answerExcerpt, eventBody, isDelivered } from './event-delivery-rules.js';
import { OrderEventRepository, type ClaimedEvent, type OrderEventRecord } from './order-event.repository.js';

/** How many events of one order a delivery job sends one after the other before it leaves the rest to the sweep. */
const EVENTS_PER_JOB = 50;

type Answer = { status: number; response: string } | { status: null; error: string; response: string | null };

/**
 * POSTs claimed order events to MERCHANT_WEBHOOK_URL, signed per Standard Webhooks (webhook-id is the event's id on
 * every attempt, so receivers dedupe), and records each outcome under the claim: delivered, retry later, or dead.
 */
@Injectable()
export class EventDeliveryService {
  private readonly logger = new Logger(EventDeliveryService.name);
  private readonly signer: Webhook | undefined;

  constructor(
    private readonly prisma: PrismaService,
    private readonly events: OrderEventRepository,
    private readonly carts: CartService,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {
    const { secret } = config.merchantWebhook;
    this.signer = secret === undefined ? undefined : new Webhook(secret);
  }

  get enabled(): boolean {
    return this.config.merchantWebhook.url !== undefined && this.signer !== undefined;
  }

  /** How long a claim made by the sweep holds: a queued job must get to it before another instance may. */
  get queuedClaimMs(): number {
    return this.config.merchantWebhook.timeoutMs + 30_000;
  }

  /** Delivers the claimed event, then the order's next ones while the receiver takes them. */
  async deliverFrom(first: ClaimedEvent): Promise<void> {
    let claim: ClaimedEvent | undefined = first;
    for (let sent = 0; claim && sent < EVENTS_PER_JOB; sent++) {
      if (!(await this.deliver(claim))) return;
      claim = await this.events.claimNextOfOrder(this.prisma, claim.orderId, this.config.merchantWebhook.timeoutMs);
    }
  }

  /** One attempt; true when the receiver took it. */
  private async deliver(claim: ClaimedEvent): Promise<boolean> {
    const { timeoutMs } = this.config.merchantWebhook;
    // The claim covers the POST and a little more; a crash leaves it to run out, and the sweep claims the event again.
    const event = await this.events.holdClaim(this.prisma, claim, timeoutMs + 5000);
    if (!event) return false;
    const answer = await this.post(event);
    if (answer.status !== null && isDelivered(answer.status)) {
      await this.events.recordDelivered(this.prisma, claim, { status: answer.status, response: answer.response });
      this.metrics.merchantEventAttempts.inc({ outcome: 'delivered' });
      this.logger.log({ event: 'merchant_event.delivered', ...this.logIds(event), httpStatus: answer.status });
      return true;
    }
    const attempt = event.attempts + 1;
    const next = afterFailure(attempt, event.retryFrom, new Date(), this.config.merchantWebhook, Math.random());
    await this.events.recordFailed(
      this.prisma,
      claim,
      {
        status: answer.status,
        error: answer.status === null ? answer.error : `HTTP ${answer.status}`,
        response: answer.response,
      },
      next,
    );
    const failure = {
      ...this.logIds(event),
      attempt,
      httpStatus: answer.status,
      error: 'error' in answer ? answer.error : undefined,
    };
    if (next.kind === 'dead') {
      this.metrics.merchantEventAttempts.inc({ outcome: 'dead' });
      this.logger.error({ event: 'merchant_event.dead', ...failure });
    } else {
      this.metrics.merchantEventAttempts.inc({ outcome: 'failed' });
      this.logger.warn({ event: 'merchant_event.failed', ...failure, nextAttemptAt: next.at.toISOString() });
    }
    return false;
  }

  private async post(event: OrderEventRecord): Promise<Answer> {
    const { url, timeoutMs, includeCustomer } = this.config.merchantWebhook;
    const shippingAddress = includeCustomer ? await this.carts.shippingAddressOf(event.state.cartId) : undefined;
    const body = JSON.stringify(eventBody(event, shippingAddress));
    const timestamp = new Date();
    try {
      return await withDeadline(timeoutMs, async (signal) => {
        const response = await fetch(url!, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'klarna-checkout-bff',
            'webhook-id': event.id,
            'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
            'webhook-signature': this.signer!.sign(event.id, timestamp, body),
          },
          body,
          signal,
        });
        return { status: response.status, response: answerExcerpt(await response.text()) };
      });
    } catch (error) {
      return { status: null, error: describeFailure(error), response: null };
    }
  }

  private logIds(event: OrderEventRecord) {
    return { eventId: event.id, orderId: event.orderId, type: event.type };
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return (cause?.code ?? cause?.message ?? (error as Error).message ?? 'request failed').slice(0, 255);
}
