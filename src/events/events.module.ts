import { Module } from '@nestjs/common';
import { CartModule } from '../cart/cart.module.js';
import { EventDeliveryService } from './event-delivery.service.js';
import { OrderEventRepository } from './order-event.repository.js';
import { OrderEventsController } from './order-events.controller.js';
import { OrderEventsService } from './order-events.service.js';
import { OrderEventsWorker } from './order-events.worker.js';

/** Order events to the merchant's systems: the outbox's reading side, delivery, and the ops endpoints. */
@Module({
  imports: [CartModule],
  controllers: [OrderEventsController],
  providers: [OrderEventRepository, OrderEventsService, EventDeliveryService, OrderEventsWorker],
  exports: [OrderEventsService],
})
export class EventsModule {}
