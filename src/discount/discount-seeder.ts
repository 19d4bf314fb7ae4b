import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { readDemoList } from '../shipping/checkout-demo-data.js';
import { DiscountService, inputOf } from './discount.service.js';
import { PutDiscountCodeDto } from './dto/discount-code.dto.js';

/** Development default: with no discount codes at all, start-up writes the demo codes. Production never seeds. */
@Injectable()
export class DiscountSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(DiscountSeeder.name);

  constructor(
    private readonly config: AppConfig,
    private readonly discounts: DiscountService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.nodeEnv === 'production') return;
    try {
      const codes = (await readDemoList('discountCodes', PutDiscountCodeDto)).map((code) => ({
        code: String(code.code),
        ...inputOf(code),
      }));
      const seeded = await this.discounts.seedIfEmpty(codes);
      if (seeded === 0) return;
      this.logger.warn(
        { event: 'discount.demo_seeded', codes: seeded, file: 'data/demo-checkout.json' },
        'There were NO discount codes: seeded the DEMO codes (development only; manage yours with PUT /discount-codes/:code)',
      );
    } catch (error) {
      this.logger.error({ event: 'discount.demo_seed_failed', err: error }, 'Could not seed the demo discount codes');
    }
  }
}
