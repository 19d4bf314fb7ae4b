import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { ShippingController } from './shipping.controller.js';
import { ShippingRepository } from './shipping.repository.js';
import { ShippingSeeder } from './shipping-seeder.js';
import { ShippingService } from './shipping.service.js';

@Module({
  imports: [CatalogModule],
  controllers: [ShippingController],
  providers: [ShippingRepository, ShippingService, ShippingSeeder],
  exports: [ShippingService],
})
export class ShippingModule {}
