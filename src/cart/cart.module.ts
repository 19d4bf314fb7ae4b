import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { DiscountModule } from '../discount/discount.module.js';
import { ShippingModule } from '../shipping/shipping.module.js';
import { KlarnaSessionModule } from '../klarna-session/klarna-session.module.js';
import { CartQueue } from './cart-queue.js';
import { CartSyncWorker } from './cart-sync.worker.js';
import { CartController } from './cart.controller.js';
import { CartRepository } from './cart.repository.js';
import { CartService } from './cart.service.js';

@Module({
  imports: [KlarnaSessionModule, CatalogModule, ShippingModule, DiscountModule],
  controllers: [CartController],
  providers: [CartRepository, CartService, CartSyncWorker, CartQueue],
  exports: [CartService, CartQueue],
})
export class CartModule {}
