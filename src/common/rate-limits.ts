import fastifyRateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config.js';
import { isOpsRequest } from '../ops/ops-listener.js';
import { RateLimitedError } from './errors.js';

/** Probes and scrapes: a limit here would take a healthy instance out of rotation or blind its monitoring. */
const UNLIMITED_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);
const SESSION_ROUTE = '/carts/:cartId/klarna-session';
/** Distinct clients (or carts) each limiter remembers; the oldest are forgotten first. */
const TRACKED_KEYS = 20_000;

type Check = (request: FastifyRequest) => Promise<{ isAllowed: boolean; isExceeded?: boolean; ttlInSeconds?: number }>;

/**
 * In-process rate limits (per instance; see README "Running in production"), in separate buckets so one kind of
 * traffic cannot starve another:
 * - the storefront's endpoints: RATE_LIMIT_MAX per client IP per RATE_LIMIT_WINDOW_MS;
 * - Klarna's callbacks: their own, larger bucket per IP (Klarna calls from a few addresses for all our shoppers);
 * - creating a Klarna session: RATE_LIMIT_SESSION_MAX per cart per RATE_LIMIT_SESSION_WINDOW_MS on top, since each
 *   one spends the merchant's Klarna quota whatever the client's address.
 * Health, metrics and the ops port are not limited. The client IP honours X-Forwarded-For only with TRUST_PROXY.
 */
export async function registerRateLimits(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const { windowMs, max, webhookMax, sessionMax, sessionWindowMs } = config.rateLimit;
  if (max === 0 && webhookMax === 0 && sessionMax === 0) return;
  await app.register(fastifyRateLimit, { global: false, cache: TRACKED_KEYS });
  const fastify = app.getHttpAdapter().getInstance();
  const limiter = (limit: number, timeWindow: number, keyGenerator?: (request: FastifyRequest) => string) =>
    limit === 0
      ? undefined
      : (fastify.createRateLimit({ max: limit, timeWindow, ...(keyGenerator ? { keyGenerator } : {}) }) as Check);
  const perClient = limiter(max, windowMs);
  const perWebhookClient = limiter(webhookMax, windowMs);
  const perCartSession = limiter(
    sessionMax,
    sessionWindowMs,
    (request) => (request.params as { cartId?: string }).cartId ?? '',
  );

  fastify.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    if ((route !== undefined && UNLIMITED_ROUTES.has(route)) || isOpsRequest(request)) return;
    if (route?.startsWith('/webhooks/'))
      return enforce(perWebhookClient, request, 'Too many callbacks from this address');
    await enforce(perClient, request, 'Too many requests from this address');
    if (route === SESSION_ROUTE && request.method === 'POST') {
      await enforce(perCartSession, request, 'Too many Klarna sessions requested for this cart');
    }
  });
}

async function enforce(check: Check | undefined, request: FastifyRequest, message: string): Promise<void> {
  if (!check) return;
  const result = await check(request);
  if (result.isAllowed || !result.isExceeded) return;
  const retryAfter = Math.max(1, result.ttlInSeconds ?? 1);
  throw new RateLimitedError(`${message}; try again in ${retryAfter} s`, retryAfter);
}
