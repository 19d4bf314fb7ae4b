import { Module } from '@nestjs/common';
import { DiscountController } from './discount.controller.js';
import { DiscountRepository } from './discount.repository.js';
import { DiscountSeeder } from './discount-seeder.js';
import { DiscountService } from './discount.service.js';

@Module({
  controllers: [DiscountController],
  providers: [DiscountRepository, DiscountService, DiscountSeeder],
  exports: [DiscountService],
})
export class DiscountModule {}
