import { NotFoundException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AppConfig } from '../config/app-config.js';
import { LifecycleService } from '../lifecycle/lifecycle.service.js';

/** Requests that arrived on the ops port (marked by its listener before Fastify routes them). */
const OPS_REQUESTS = new WeakSet<IncomingMessage>();

/** Served only on the ops port when there is one: internals an operator wants and the internet must not see. */
const OPS_ONLY_ROUTES = /^\/(metrics|docs)(\/|-json|-yaml|$)/;

export function isOpsRequest(request: FastifyRequest): boolean {
  return OPS_REQUESTS.has(request.raw);
}

/**
 * With OPS_PORT set, /metrics, /docs and /docs-json answer 404 on the public port. Everything stays one Fastify
 * app: the ops port is a second plain HTTP listener handing its requests to the same router (`fastify.routing`).
 * The check is those routes' own onRequest hook (added as they are registered, so before app.init()), not a hook
 * every other request would run too.
 */
export function restrictOpsRoutes(fastify: FastifyInstance, config: AppConfig): void {
  if (config.opsPort === undefined) return;
  const opsPortOnly: onRequestHookHandler = (request, _reply, next) =>
    next(isOpsRequest(request) ? undefined : new NotFoundException());
  fastify.addHook('onRoute', (route) => {
    if (!OPS_ONLY_ROUTES.test(route.url)) return;
    const own = route.onRequest === undefined ? [] : [route.onRequest].flat();
    route.onRequest = [...own, opsPortOnly];
  });
}

/** Opens the ops listener (after the app listens); closed by the graceful shutdown with the public one. */
export async function listenOps(
  app: NestFastifyApplication,
  config: AppConfig,
  port = config.opsPort,
): Promise<Server | undefined> {
  if (port === undefined) return undefined;
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.ready();
  const server = createServer((request, response) => {
    OPS_REQUESTS.add(request);
    fastify.routing(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.host, () => resolve());
  });
  app.get(LifecycleService).trackServer(server);
  return server;
}
