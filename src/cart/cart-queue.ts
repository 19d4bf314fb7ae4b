import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { CartBusyError } from '../common/errors.js';
import { MetricsService } from '../metrics/metrics.service.js';

interface Lane {
  /** Requests in this cart's lane: the one running and the ones waiting. */
  pending: number;
  /** Settles when the last request in the lane is done; the next one waits for it. */
  tail: Promise<void>;
}

/**
 * Requests for one cart run one at a time in this instance, and wait here, before they take a pooled database
 * connection: otherwise each would hold a connection while waiting for the cart's row lock, and one busy cart
 * (its lock holder waiting for a slow Klarna) would take the whole pool from every other shopper. Beyond
 * CART_QUEUE_DEPTH waiting, the cart answers 429 CART_BUSY. The row lock still serialises instances.
 * Written here rather than with p-queue: what is needed is a lane per key that disappears when idle, plus
 * the depth check, which p-queue would still need around it.
 */
@Injectable()
export class CartQueue {
  /**
   * A null-prototype object as the dictionary rather than a Map: a lane comes and goes with almost every change, and
   * a Map with that churn makes minor GCs promote what its replaced tables held (see InFlightList).
   */
  private readonly lanes: Record<string, Lane | undefined> = Object.create(null) as Record<string, Lane | undefined>;
  private readonly depth: number;

  constructor(
    config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.depth = config.cartQueueDepth;
  }

  async run<T>(cartId: string, work: () => Promise<T>): Promise<T> {
    let lane = this.lanes[cartId];
    if (!lane) {
      lane = { pending: 0, tail: Promise.resolve() };
      this.lanes[cartId] = lane;
    }
    if (lane.pending > this.depth) {
      this.metrics.cartQueueRejections.inc();
      throw new CartBusyError(cartId, 1);
    }
    lane.pending += 1;
    const previous = lane.tail;
    let done!: () => void;
    lane.tail = new Promise<void>((resolve) => (done = resolve));
    try {
      await previous;
      return await work();
    } finally {
      lane.pending -= 1;
      if (lane.pending === 0) delete this.lanes[cartId];
      done();
    }
  }
}
