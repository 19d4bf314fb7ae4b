import type { FastifyInstance } from 'fastify';
import { ValidationFailedError } from './errors.js';
import { findUnsafeJson } from './json-safety.js';

/**
 * Refuses unsafe input (too deep, NUL, lone surrogates: see json-safety.ts) in the body and the query string
 * right after Fastify parsed them, before Nest's ValidationPipe and class-transformer see anything.
 */
export function guardRequestInput(fastify: FastifyInstance, listsOrTextRoutes: readonly string[] = []): void {
  const exceptions = new Set(listsOrTextRoutes);
  fastify.addHook('preValidation', (request, _reply, next) => {
    const { body } = request;
    // Nothing to check (a GET without a query string, the storefront's most frequent call): no work at all.
    if (body === undefined && !request.url.includes('?')) {
      next();
      return;
    }
    // Every body this API takes (Klarna's callbacks included) is a JSON object, except on the routes named (the
    // catalog import takes a JSON array or CSV text); the webhook parsers and the global pipe were written for
    // objects (an array or a bare string used to reach them and answer 500).
    const route = `${request.method} ${request.routeOptions.url ?? ''}`;
    const objectOnly = !exceptions.has(route);
    if (objectOnly && body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
      next(new ValidationFailedError([{ field: 'body', message: 'must be a JSON object' }]));
      return;
    }
    const problem = findUnsafeJson(request.query, 'query') ?? findUnsafeJson(body);
    next(problem ? new ValidationFailedError([problem]) : undefined);
  });
}
