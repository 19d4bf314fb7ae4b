import { Module } from '@nestjs/common';
import { KlarnaSessionRepository } from './klarna-session.repository.js';
import { KlarnaSessionService } from './klarna-session.service.js';

@Module({
  providers: [KlarnaSessionRepository, KlarnaSessionService],
  exports: [KlarnaSessionService],
})
export class KlarnaSessionModule {}
