import { Module } from '@nestjs/common';
import { KlarnaSessionModule } from '../klarna-session/klarna-session.module.js';
import { CartSyncWorker } from './cart-sync.worker.js';
import { CartController } from './cart.controller.js';
import { CartRepository } from './cart.repository.js';
import { CartService } from './cart.service.js';

@Module({
  imports: [KlarnaSessionModule],
  controllers: [CartController],
  providers: [CartRepository, CartService, CartSyncWorker],
  exports: [CartService],
})
export class CartModule {}
