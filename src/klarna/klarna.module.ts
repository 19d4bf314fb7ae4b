import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { CyberSourceGateway } from '../cybersource/cybersource.gateway.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { KlarnaGateway } from './klarna-gateway.js';
import { KlarnaRestGateway } from './klarna-rest.gateway.js';

/** The one KlarnaGateway of the app: Klarna's REST API, or Klarna through CyberSource (PAYMENT_GATEWAY). */
@Global()
@Module({
  providers: [
    {
      provide: KlarnaGateway,
      inject: [AppConfig, MetricsService],
      useFactory: (config: AppConfig, metrics: MetricsService): KlarnaGateway =>
        config.paymentGateway === 'cybersource'
          ? new CyberSourceGateway(config, metrics)
          : new KlarnaRestGateway(config, metrics),
    },
  ],
  exports: [KlarnaGateway],
})
export class KlarnaModule {}
