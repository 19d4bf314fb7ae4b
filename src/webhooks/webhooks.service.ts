import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { UnauthorizedError } from '../common/errors.js';
import { verifyScope, webhookScope } from '../common/url-signature.js';
import { PrismaService } from '../database/prisma.service.js';
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
    signature: string,
    body: { authorization_token: string; session_id: string },
  ): Promise<WebhookOutcome> {
    this.verify('authorization', cartId, signature);
    return this.once('authorization', `authorization:${body.authorization_token}`, body, async () => {
      const accepted = await this.orders.acceptAuthorizationCallback(cartId, body.session_id, body.authorization_token);
      if (!accepted) this.logger.warn({ event: 'webhook.authorization_session_mismatch', cartId });
      return accepted;
    });
  }

  async push(cartId: string, signature: string, klarnaOrderId: string): Promise<WebhookOutcome> {
    this.verify('push', cartId, signature);
    return this.once('push', `push:${klarnaOrderId}`, { order_id: klarnaOrderId }, () =>
      this.orders.applyKlarnaOrder(cartId, klarnaOrderId),
    );
  }

  async notification(
    cartId: string,
    signature: string,
    body: { order_id: string; event_type: string },
  ): Promise<WebhookOutcome> {
    this.verify('notification', cartId, signature);
    return this.once('notification', `notification:${body.order_id}:${body.event_type}`, body, () =>
      this.orders.applyKlarnaOrder(cartId, body.order_id),
    );
  }

  private verify(purpose: 'authorization' | 'push' | 'notification', cartId: string, signature: string): void {
    if (!verifyScope(this.config.webhookSecret, webhookScope(purpose, cartId), signature)) {
      this.logger.warn({ event: 'webhook.forged', purpose, cartId });
      throw new UnauthorizedError('Invalid webhook signature');
    }
  }

  /** Runs a delivery's effect once per dedupe key; a failed one is kept with its error and tried again. */
  private async once(
    kind: string,
    dedupeKey: string,
    payload: object,
    effect: () => Promise<boolean>,
  ): Promise<WebhookOutcome> {
    const fresh = await this.events.receive(this.prisma, kind, dedupeKey, payload as Prisma.InputJsonValue);
    if (!fresh) return 'duplicate';
    try {
      const applied = await effect();
      await this.events.markProcessed(this.prisma, dedupeKey);
      return applied ? 'accepted' : 'ignored';
    } catch (error) {
      await this.events.markProcessed(this.prisma, dedupeKey, error instanceof Error ? error.message : String(error));
      throw error;
    }
  }
}
