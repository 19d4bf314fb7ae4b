import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { SESSION_SYNC_JOB } from '../klarna-session/klarna-session.service.js';
import { CartService } from './cart.service.js';

/** Retries pushes that Klarna could not take (down, slow, 5xx) until the session holds the latest cart. */
@Injectable()
export class CartSyncWorker implements OnApplicationBootstrap {
  constructor(
    private readonly jobs: JobQueueService,
    private readonly carts: CartService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.work<{ cartId: string }>(SESSION_SYNC_JOB, ({ cartId }) => this.carts.resyncKlarnaSession(cartId));
  }
}
