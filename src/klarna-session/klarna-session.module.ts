import { Module } from '@nestjs/common';
import { KlarnaSessionRepository } from './klarna-session.repository.js';
import { KlarnaSessionService } from './klarna-session.service.js';
import { KlarnaSessionWorker } from './klarna-session.worker.js';

@Module({
  providers: [KlarnaSessionRepository, KlarnaSessionService, KlarnaSessionWorker],
  exports: [KlarnaSessionService],
})
export class KlarnaSessionModule {}
