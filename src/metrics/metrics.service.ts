import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestDurationHistogram } from './request-duration-histogram.js';

/** Prometheus metrics of the service; one registry per application instance. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequestDuration = new RequestDurationHistogram([this.registry]);

  private requestsInFlight?: () => number;

  readonly httpRequestsInFlight: Gauge = new Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests received and not answered yet (what a shutdown waits for)',
    registers: [this.registry],
    collect: () => {
      if (this.requestsInFlight) this.httpRequestsInFlight.set(this.requestsInFlight());
    },
  });

  /** Read when Prometheus scrapes, not set on every request. */
  observeHttpRequestsInFlight(count: () => number): void {
    this.requestsInFlight = count;
  }

  observeHttpRequest(method: string, route: string, status: number, milliseconds: number): void {
    this.httpRequestDuration.observe(method, route, status, milliseconds / 1000);
  }

  readonly klarnaRequestDuration = new Histogram({
    name: 'klarna_request_duration_seconds',
    help: 'Calls to Klarna, by operation and outcome (ok, client_error, server_error, timeout, network_error)',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly cartQueueRejections = new Counter({
    name: 'cart_queue_rejections_total',
    help: 'Requests answered 429 CART_BUSY: CART_QUEUE_DEPTH requests for the same cart were already waiting here',
    registers: [this.registry],
  });

  private databasePool?: () => { total: number; idle: number; waiting: number };

  readonly databasePoolConnections: Gauge<'state'> = new Gauge({
    name: 'database_pool_connections',
    help: 'The service pool: connections open, idle, and requests waiting for one',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () => {
      const stats = this.databasePool?.();
      if (!stats) return;
      this.databasePoolConnections.set({ state: 'open' }, stats.total);
      this.databasePoolConnections.set({ state: 'idle' }, stats.idle);
      this.databasePoolConnections.set({ state: 'waiting' }, stats.waiting);
    },
  });

  /** The pool is read when Prometheus scrapes. */
  observeDatabasePool(read: () => { total: number; idle: number; waiting: number }): void {
    this.databasePool = read;
  }

  readonly klarnaSyncFailures = new Counter({
    name: 'klarna_session_sync_failures_total',
    help: 'Cart changes that could not be pushed to the Klarna session at once, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly ordersStuckPlacing = new Gauge({
    name: 'orders_stuck_placing',
    help: 'Orders written as placing whose Klarna outcome is not known yet (older than one minute)',
    registers: [this.registry],
  });

  readonly ordersNeedingAttention = new Gauge({
    name: 'orders_needing_attention',
    help: 'Orders whose Klarna outcome stayed unknown past PLACEMENT_ATTENTION_AFTER_MS (GET /ops/attention)',
    registers: [this.registry],
  });

  readonly ordersNeedingAttentionTotal = new Counter({
    name: 'orders_needing_attention_total',
    help: 'Placements handed to ops because their Klarna outcome stayed unknown',
    registers: [this.registry],
  });

  readonly unmatchedKlarnaOrders = new Counter({
    name: 'klarna_orders_unmatched_total',
    help: 'Klarna orders we could not match to an order of ours, by reason (kept in GET /ops/attention)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly orderOperations = new Counter({
    name: 'order_operations_total',
    help: 'Order Management operations sent to Klarna, by kind and outcome (succeeded, refused, unknown)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly orderDrift = new Counter({
    name: 'order_drift_total',
    help: 'Differences between our orders and Klarna Order Management found by the reconciliation, by field',
    labelNames: ['field', 'applied'] as const,
    registers: [this.registry],
  });

  readonly ordersExpiringUncaptured = new Gauge({
    name: 'orders_expiring_uncaptured',
    help: 'Open orders whose Klarna authorization lapses within 3 days with something left to capture',
    registers: [this.registry],
  });

  readonly merchantEventsBacklog = new Gauge({
    name: 'merchant_events_backlog',
    help: 'Order events not yet delivered to MERCHANT_WEBHOOK_URL (pending, retrying or waiting for the one before)',
    registers: [this.registry],
  });

  readonly merchantEventsOldestAge = new Gauge({
    name: 'merchant_events_oldest_pending_age_seconds',
    help: 'Age of the oldest order event not yet delivered (0 when none)',
    registers: [this.registry],
  });

  readonly merchantEventsDead = new Gauge({
    name: 'merchant_events_dead',
    help: 'Order events whose retries ran out (GET /events?status=dead; POST /events/redeliver?status=dead)',
    registers: [this.registry],
  });

  readonly merchantEventAttempts = new Counter({
    name: 'merchant_event_attempts_total',
    help: 'Delivery attempts of order events, by outcome (delivered, failed, dead)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  observeKlarnaCall(operation: string, outcome: string, seconds: number): void {
    this.klarnaRequestDuration.observe({ operation, outcome }, seconds);
  }
}
