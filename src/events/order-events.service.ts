import { Injectable, Logger } from '@nestjs/common';
import { NotFoundError, ValidationFailedError } from '../common/errors.js';
import { PrismaService, type PrismaTransaction } from '../database/prisma.service.js';
import { eventBody, type EventStatus } from './event-delivery-rules.js';
import { OrderEventRepository, type OrderEventRecord } from './order-event.repository.js';

export interface OrderEventView {
  id: string;
  orderId: string;
  type: string;
  status: EventStatus;
  createdAt: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  /** The receiver's last answer: its HTTP status and the start of its body, or why there was none (timeout, ...). */
  lastAnswer: { status: number | null; error: string | null; body: string | null } | null;
  deliveredAt: string | null;
  deadAt: string | null;
  replays: number;
  /** What was (or will be) POSTed, without the shipping address that delivery may add. */
  body: ReturnType<typeof eventBody>;
}

/** The order events as ops see them: list with attempts and last answers, replays. */
@Injectable()
export class OrderEventsService {
  private readonly logger = new Logger(OrderEventsService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly events: OrderEventRepository,
  ) {}

  /** Writes `order.expiring` once per order and expiry date (the daily report finds the same order every day). */
  recordExpiring(db: PrismaTransaction, orderId: string, expiresAt: string): Promise<boolean> {
    return this.events.recordReported(db, orderId, 'order.expiring', expiresAt);
  }

  async list(filter: {
    status?: EventStatus;
    orderId?: string;
    cursor?: string;
    limit: number;
  }): Promise<{ events: OrderEventView[]; nextCursor: string | null }> {
    let afterSeq: bigint | undefined;
    if (filter.cursor !== undefined) {
      if (!/^\d{1,18}$/.test(filter.cursor)) {
        throw new ValidationFailedError([{ field: 'cursor', message: 'cursor must be the nextCursor of a page' }]);
      }
      afterSeq = BigInt(filter.cursor);
    }
    const rows = await this.events.list(this.prisma, { ...filter, afterSeq, limit: filter.limit + 1 });
    const page = rows.slice(0, filter.limit);
    return {
      events: page.map(view),
      nextCursor: rows.length > filter.limit ? page[page.length - 1].seq : null,
    };
  }

  async get(id: string): Promise<OrderEventView> {
    const event = await this.events.findById(this.prisma, id);
    if (!event) throw new NotFoundError('EVENT_NOT_FOUND', `Event ${id} does not exist`);
    return view(event);
  }

  /** POST /events/:id/redeliver: sent again with the same webhook-id, in its order's place. */
  async redeliver(id: string): Promise<OrderEventView> {
    if (!(await this.events.replay(this.prisma, id))) {
      throw new NotFoundError('EVENT_NOT_FOUND', `Event ${id} does not exist`);
    }
    this.logger.warn({ event: 'merchant_event.replayed', eventId: id });
    return this.get(id);
  }

  /** POST /events/redeliver?status=dead: every dead event back to pending, each order's in their order. */
  async redeliverDead(): Promise<{ redelivered: number }> {
    const redelivered = await this.events.replayDead(this.prisma);
    this.logger.warn({ event: 'merchant_event.dead_replayed', count: redelivered });
    return { redelivered };
  }
}

function view(event: OrderEventRecord): OrderEventView {
  return {
    id: event.id,
    orderId: event.orderId,
    type: event.type,
    status: event.status,
    createdAt: event.createdAt.toISOString(),
    attempts: event.attempts,
    nextAttemptAt: event.status === 'pending' ? event.nextAttemptAt.toISOString() : null,
    lastAttemptAt: event.lastAttemptAt?.toISOString() ?? null,
    lastAnswer:
      event.lastAttemptAt === null
        ? null
        : { status: event.lastStatus, error: event.lastError, body: event.lastResponse },
    deliveredAt: event.deliveredAt?.toISOString() ?? null,
    deadAt: event.deadAt?.toISOString() ?? null,
    replays: event.replays,
    body: eventBody(event),
  };
}
