import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { KlarnaGateway } from './klarna-gateway.js';
import { KlarnaRestGateway } from './klarna-rest.gateway.js';

/**
 * The one KlarnaGateway of the app: Klarna's REST API, or Klarna through CyberSource (PAYMENT_GATEWAY). The
 * CyberSource gateway is imported only when chosen: its SOAP, XML signature and certificate libraries would
 * otherwise sit in every Klarna-direct process's memory for nothing (issue 14).
 */
@Global()
@Module({
  providers: [
    {
      provide: KlarnaGateway,
      inject: [AppConfig, MetricsService],
      useFactory: async (config: AppConfig, metrics: MetricsService): Promise<KlarnaGateway> => {
        if (config.paymentGateway !== 'cybersource') return new KlarnaRestGateway(config, metrics);
        const { CyberSourceGateway } = await import('../cybersource/cybersource.gateway.js');
        return new CyberSourceGateway(config, metrics);
      },
    },
  ],
  exports: [KlarnaGateway],
})
export class KlarnaModule {}
