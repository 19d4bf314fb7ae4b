import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from './config/app-config.js';
import { loggerParams } from './common/logging.js';
import { DatabaseModule } from './database/database.module.js';
import { CartModule } from './cart/cart.module.js';
import { CatalogModule } from './catalog/catalog.module.js';
import { DiscountModule } from './discount/discount.module.js';
import { ShippingModule } from './shipping/shipping.module.js';
import { HealthModule } from './health/health.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { KlarnaModule } from './klarna/klarna.module.js';
import { EventsModule } from './events/events.module.js';
import { OrderModule } from './order/order.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';
import { RetentionModule } from './retention/retention.module.js';
import { StorefrontModule } from './storefront/storefront.module.js';

@Module({})
export class AppModule {
  /** The configuration is loaded and validated before Nest starts (main.ts), then handed in here. */
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        LoggerModule.forRoot(loggerParams(config.logLevel, config.prettyLogs)),
        DatabaseModule,
        MetricsModule,
        LifecycleModule,
        HealthModule,
        JobsModule,
        KlarnaModule,
        CatalogModule,
        ShippingModule,
        DiscountModule,
        CartModule,
        EventsModule,
        OrderModule,
        WebhooksModule,
        RetentionModule,
        ...(config.demoStorefront.enabled ? [StorefrontModule] : []),
      ],
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig],
    };
  }
}
