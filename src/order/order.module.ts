import { Module } from '@nestjs/common';
import { CartModule } from '../cart/cart.module.js';
import { DiscountModule } from '../discount/discount.module.js';
import { EventsModule } from '../events/events.module.js';
import { KlarnaSessionModule } from '../klarna-session/klarna-session.module.js';
import { CheckoutController } from './checkout.controller.js';
import { CustomerTokenService } from './customer-token.service.js';
import { OpsAttentionController } from './ops-attention.controller.js';
import { OrderJobsWorker } from './order-jobs.worker.js';
import { OrderManagementService } from './order-management.service.js';
import { OrderManagementWorker } from './order-management.worker.js';
import { ReconciliationController } from './reconciliation.controller.js';
import { ReconciliationService } from './reconciliation.service.js';
import { OrderController } from './order.controller.js';
import { OrderRepository } from './order.repository.js';
import { OrderService } from './order.service.js';

@Module({
  imports: [CartModule, KlarnaSessionModule, DiscountModule, EventsModule],
  controllers: [CheckoutController, OrderController, OpsAttentionController, ReconciliationController],
  providers: [
    OrderRepository,
    OrderService,
    OrderManagementService,
    ReconciliationService,
    CustomerTokenService,
    OrderJobsWorker,
    OrderManagementWorker,
  ],
  exports: [OrderService],
})
export class OrderModule {}
