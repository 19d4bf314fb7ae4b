import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { UnauthorizedError } from '../common/errors.js';
import { verifyScope, webhookScope } from '../common/url-signature.js';
import { PrismaService } from '../database/prisma.service.js';
import type { Db } from '../database/sql.js';
import type { Prisma } from '../generated/prisma/client.js';
import { OrderService } from '../order/order.service.js';
import { WebhookEventRepository } from './webhook-event.repository.js';

export type WebhookOutcome = 'accepted' | 'duplicate' | 'ignored';

/**
 * Klarna's callbacks. Klarna does not sign them, so each URL we handed out carries an HMAC of its purpose
 * and cart; anything else is refused with 401 before it changes anything. Bodies are hints: push and
 * notification are acted on only after reading the order from Order Management.
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly events: WebhookEventRepository,
    private readonly orders: OrderService,
    private readonly config: AppConfig,
  ) {}

  async authorizationCallback(
    cartId: string,
    signature: string | undefined,
    body: { authorization_token: string; session_id: string },
  ): Promise<WebhookOutcome> {
    this.verify('authorization', cartId, signature);
    return this.once(
      'authorization',
      `authorization:${cartId}:${body.authorization_token}`,
      body,
      async (markProcessed) => {
        const accepted = await this.orders.acceptAuthorizationCallback(
          cartId,
          body.session_id,
          body.authorization_token,
        );
        if (!accepted) {
          this.logger.warn({ event: 'webhook.authorization_session_mismatch', cartId });
          return false;
        }
        // Its placement job is queued after the callback's transaction: the delivery is processed only once it is.
        await markProcessed(this.prisma.pool);
        return true;
      },
    );
  }

  async push(cartId: string, signature: string | undefined, klarnaOrderId: string): Promise<WebhookOutcome> {
    this.verify('push', cartId, signature);
    return this.once(
      'push',
      `push:${cartId}:${klarnaOrderId}`,
      { order_id: klarnaOrderId },
      async (markProcessed) => (await this.orders.applyKlarnaOrder(cartId, klarnaOrderId, markProcessed)) === 'applied',
    );
  }

  async notification(
    cartId: string,
    signature: string | undefined,
    body: { order_id: string; event_type: string },
  ): Promise<WebhookOutcome> {
    this.verify('notification', cartId, signature);
    return this.once(
      'notification',
      `notification:${cartId}:${body.order_id}:${body.event_type}`,
      body,
      async (markProcessed) => (await this.orders.applyKlarnaOrder(cartId, body.order_id, markProcessed)) === 'applied',
    );
  }

  private verify(
    purpose: 'authorization' | 'push' | 'notification',
    cartId: string,
    signature: string | undefined,
  ): void {
    if (!verifyScope(this.config.webhookSecret, webhookScope(purpose, cartId), signature)) {
      this.logger.warn({ event: 'webhook.forged', purpose, cartId });
      throw new UnauthorizedError('Invalid or missing webhook signature');
    }
  }

  /**
   * Runs a delivery's effect once per dedupe key, which names the signed cart, so a valid URL replayed with
   * another cart's ids cannot mark Klarna's genuine delivery a duplicate. Only a delivery that was acted on is
   * marked processed: one that was not ours, or whose Klarna read failed, is handled again when Klarna retries.
   * An effect that acted marks its delivery itself (`markProcessed`): Klarna's push and notification inside the
   * transaction that holds all they do, so the mark commits with it, without a round trip and a commit of its own.
   */
  private async once(
    kind: string,
    dedupeKey: string,
    payload: object,
    effect: (markProcessed: (db: Db) => Promise<void>) => Promise<boolean>,
  ): Promise<WebhookOutcome> {
    const fresh = await this.events.receive(this.prisma.pool, kind, dedupeKey, payload as Prisma.InputJsonValue);
    if (!fresh) return 'duplicate';
    try {
      const applied = await effect((db) => this.events.markProcessed(db, dedupeKey));
      if (!applied) await this.events.markProcessed(this.prisma.pool, dedupeKey, 'ignored: not for this cart');
      return applied ? 'accepted' : 'ignored';
    } catch (error) {
      await this.events.markProcessed(
        this.prisma.pool,
        dedupeKey,
        error instanceof Error ? error.message : String(error),
      );
      throw error;
    }
  }
}
