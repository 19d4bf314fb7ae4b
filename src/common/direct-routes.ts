import type { FastifyInstance, FastifyRequest } from 'fastify';

/** A controller route that Fastify hands straight to its controller method (see serveDirectly). */
export interface DirectRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** As Fastify registers it from the controller's decorators: `/carts/:cartId`. */
  url: string;
  /** Checks the route's input as its parameter decorators do, then calls the controller method. */
  handle(request: FastifyRequest): Promise<unknown>;
}

/**
 * Serves the routes named past Nest's router: Fastify calls their `handle`, not the handler Nest registered (its
 * execution context, pipes, guards, interceptors and response controller). For the storefront's most frequent call
 * that router was about a fifth of the service's CPU per request (issue 14, bench/README.md). The controller method
 * stays the route's one definition: its decorators still register and document it (OpenAPI), and `handle` calls it.
 * Only routes without guards or interceptors belong here. Errors go the way of every other (the global
 * HttpErrorFilter, which Nest also installs as Fastify's error handler). Startup fails when a route named here is
 * not registered, so a renamed path cannot silently fall back to the slow way, or to no check at all.
 */
export function serveDirectly(fastify: FastifyInstance, routes: readonly DirectRoute[]): void {
  const pending = new Map(routes.map((route) => [`${route.method} ${route.url}`, route]));
  fastify.addHook('onRoute', (route) => {
    const key = `${String(route.method)} ${route.url}`;
    const direct = pending.get(key);
    if (!direct) return;
    pending.delete(key);
    route.handler = (request) => direct.handle(request);
  });
  fastify.addHook('onReady', (done) => {
    done(pending.size === 0 ? undefined : new Error(`No controller registers ${[...pending.keys()].join(', ')}`));
  });
}
