import { Global, Module } from '@nestjs/common';
import { KlarnaGateway } from './klarna-gateway.js';
import { KlarnaRestGateway } from './klarna-rest.gateway.js';

@Global()
@Module({
  providers: [{ provide: KlarnaGateway, useClass: KlarnaRestGateway }],
  exports: [KlarnaGateway],
})
export class KlarnaModule {}
