import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { AppConfig } from '../config/app-config.js';
import { ServiceUnavailableError } from '../common/errors.js';
import { InFlightList } from '../common/in-flight-list.js';
import { PrismaService } from '../database/prisma.service.js';
import { ReadinessProbe } from '../health/readiness-probe.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { MetricsService } from '../metrics/metrics.service.js';

export type ShutdownStage = 'serving' | 'readiness-off' | 'http-drain' | 'jobs' | 'database' | 'done';

/**
 * The order of a graceful stop (SIGTERM/SIGINT, or `app.close()`), which Nest's own hooks do not give: they
 * would close PostgreSQL (onModuleDestroy) before the HTTP server drains and before the job workers stop.
 *
 * 1. readiness answers 503 (load balancers stop sending), for SHUTDOWN_DELAY_MS;
 * 2. the listeners stop accepting connections; requests on open keep-alive connections answer 503
 *    SHUTTING_DOWN with `Connection: close`; in-flight requests run to their end;
 * 3. pg-boss stops fetching and waits for running jobs;
 * 4. PostgreSQL connections are closed.
 * main.ts bounds the whole by SHUTDOWN_TIMEOUT_MS and logs `unfinished()` if it expires.
 */
@Injectable()
export class LifecycleService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LifecycleService.name);
  private stageNow: ShutdownStage = 'serving';
  private readonly inFlight = new InFlightList<FastifyReply>();
  private drained: (() => void) | undefined;
  private readonly servers = new Set<Server>();
  private stopping: Promise<void> | undefined;
  private deadline = Number.POSITIVE_INFINITY;
  /** True when the stop had to cut requests still running at the end of their share of SHUTDOWN_TIMEOUT_MS. */
  cutWork = false;

  constructor(
    private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly jobs: JobQueueService,
    private readonly readiness: ReadinessProbe,
    private readonly metrics: MetricsService,
  ) {}

  get stage(): ShutdownStage {
    return this.stageNow;
  }

  /** False from the first moment of a shutdown: readiness answers 503. */
  get ready(): boolean {
    return this.stageNow === 'serving';
  }

  /**
   * Counts in-flight requests, times them for `http_request_duration_seconds`, and refuses new ones once the
   * listeners close. Called by createApp. It runs on every request, so it costs one callback-style hook and one
   * `close` listener on the response, nothing more (issue 14): no onResponse or onRequestAbort hook (each makes
   * Fastify add listeners of its own to every request), no onSend hook (the drain marks the replies in flight
   * `Connection: close` instead), no promise per request.
   */
  registerHooks(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (request, reply, next) => {
      if (this.refusingRequests()) {
        void reply.header('connection', 'close');
        next(new ServiceUnavailableError('SHUTTING_DOWN', 'This instance is shutting down; try again', 1));
        return;
      }
      const started = performance.now();
      const handle = this.inFlight.add(reply);
      // `close` comes once per response: after it was sent, or when the client went away first. `on`, not `once`:
      // `once` binds a wrapper per request and removes it again on the event. `remove` tells the first call apart.
      reply.raw.on('close', () => {
        if (!this.inFlight.remove(handle)) return;
        if (reply.raw.writableFinished) {
          this.metrics.observeHttpRequest(
            request.method,
            routeOf(request),
            reply.statusCode,
            performance.now() - started,
          );
        }
        if (this.inFlight.size === 0) this.drained?.();
      });
      next();
    });
    this.metrics.observeHttpRequestsInFlight(() => this.inFlight.size);
  }

  /** Another listener on the same app (the ops port) to close with the main one. */
  trackServer(server: Server): void {
    this.servers.add(server);
  }

  /** Starts the clock of SHUTDOWN_TIMEOUT_MS (main.ts does at the signal; app.close() alone has no deadline). */
  startDeadline(now = Date.now()): void {
    this.deadline = now + this.config.shutdown.timeoutMs;
  }

  /** What was still running: for the one log line when SHUTDOWN_TIMEOUT_MS expires. */
  unfinished(): { stage: ShutdownStage; requests: string[]; jobs: string[] } {
    return { stage: this.stageNow, requests: this.inFlightRequests(), jobs: this.jobs.runningJobs() };
  }

  beforeApplicationShutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    const started = Date.now();
    this.enter('readiness-off');
    if (this.config.shutdown.delayMs > 0) await delay(this.config.shutdown.delayMs);

    // app.close() alone (tests, embedding) gets the same bound as a signal: SHUTDOWN_TIMEOUT_MS from now.
    if (!Number.isFinite(this.deadline)) this.startDeadline();
    this.enter('http-drain', { inFlightRequests: this.inFlight.size });
    // Answers still to come end their keep-alive connections, so the servers' close is not held up by them.
    for (const reply of this.inFlight) if (!reply.raw.headersSent) void reply.header('connection', 'close');
    const closed = [...this.servers].map((server) => closeServer(server));
    const drained =
      this.inFlight.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.drained = resolve));
    // Requests still running when the HTTP share of the time is up are cut, so jobs and the database still get
    // their turn: the rest of the time goes to them.
    const httpShare = Math.max((this.deadline - Date.now()) / 2, 1000);
    if (!(await within(Promise.all([drained, ...closed]), httpShare))) {
      this.cutWork = true;
      this.logger.warn({ event: 'shutdown.requests_cut', requests: this.inFlightRequests() });
      for (const server of this.servers) server.closeAllConnections();
    }

    this.enter('jobs', { runningJobs: this.jobs.runningJobs().length });
    await this.jobs.stop(Math.max(this.deadline - Date.now() - 1000, 1000));

    this.enter('database');
    await Promise.all([this.readiness.close(), this.prisma.disconnect()]);
    this.enter('done', { ms: Date.now() - started });
  }

  private inFlightRequests(): string[] {
    return [...this.inFlight].map(({ request }) => `${request.method} ${routeOf(request)}`);
  }

  private refusingRequests(): boolean {
    return this.stageNow !== 'serving' && this.stageNow !== 'readiness-off';
  }

  private enter(stage: ShutdownStage, details: Record<string, unknown> = {}): void {
    this.stageNow = stage;
    this.logger.log({ event: `shutdown.${stage}`, ...details });
  }
}

function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

/** Whether `work` settled within `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops accepting connections at once and closes idle keep-alive ones; resolves when every connection ended. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
