import { Module } from '@nestjs/common';
import { OrderModule } from '../order/order.module.js';
import { WebhookEventRepository } from './webhook-event.repository.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

@Module({
  imports: [OrderModule],
  controllers: [WebhooksController],
  providers: [WebhookEventRepository, WebhooksService],
})
export class WebhooksModule {}
