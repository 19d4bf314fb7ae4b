import type { FastifyInstance } from 'fastify';
import type { MetricsService } from './metrics.service.js';

/** Times every request at the Fastify layer, so 404s and errors raised before a controller count too. */
export function registerHttpMetrics(fastify: FastifyInstance, metrics: MetricsService): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
