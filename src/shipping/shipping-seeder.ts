import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { readDemoList } from './checkout-demo-data.js';
import { PutShippingMethodDto } from './dto/shipping-method.dto.js';
import { inputOf, ShippingService } from './shipping.service.js';

/**
 * Development default, like the demo catalog: with no shipping methods at all, start-up writes two per demo market
 * (data/demo-checkout.json) and says so loudly. Production never seeds.
 */
@Injectable()
export class ShippingSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(ShippingSeeder.name);

  constructor(
    private readonly config: AppConfig,
    private readonly shipping: ShippingService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.nodeEnv === 'production') return;
    try {
      const methods = (await readDemoList('shippingMethods', PutShippingMethodDto)).map((method) => ({
        id: String(method.id),
        ...inputOf(method),
      }));
      const seeded = await this.shipping.seedIfEmpty(methods);
      if (seeded === 0) return;
      this.logger.warn(
        { event: 'shipping.demo_seeded', methods: seeded, file: 'data/demo-checkout.json' },
        'There were NO shipping methods: seeded the DEMO methods (development only; manage yours with PUT /shipping-methods/:id)',
      );
    } catch (error) {
      this.logger.error({ event: 'shipping.demo_seed_failed', err: error }, 'Could not seed the demo shipping methods');
    }
  }
}
