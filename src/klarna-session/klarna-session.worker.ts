import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { KlarnaSessionService, RELEASE_AUTHORIZATIONS_JOB } from './klarna-session.service.js';

/** Releases at Klarna the authorizations of a cart that will never become orders. */
@Injectable()
export class KlarnaSessionWorker implements OnApplicationBootstrap {
  constructor(
    private readonly jobs: JobQueueService,
    private readonly klarnaSessions: KlarnaSessionService,
    private readonly prisma: PrismaService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.work<{ cartId: string }>(RELEASE_AUTHORIZATIONS_JOB, async ({ cartId }) => {
      await this.klarnaSessions.releaseUnusedAuthorizations(this.prisma, cartId);
    });
  }
}
