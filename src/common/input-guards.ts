import type { FastifyInstance } from 'fastify';
import { ValidationFailedError } from './errors.js';
import { findUnsafeJson } from './json-safety.js';

const JSON_CONTENT_TYPE = /^application\/(.+\+)?json\b/i;

/**
 * Refuses, right after Fastify parsed the request and before Nest's ValidationPipe and class-transformer see
 * anything:
 * - a body that is not JSON (the REST API speaks JSON), except the content types a route is listed for in
 *   `otherBodies` (the catalog import also takes text/csv);
 * - a body that is not a JSON object, except on the routes listed: every body this API takes (Klarna's callbacks
 *   included) is one, and the webhook parsers and the global pipe were written for objects (an array or a bare
 *   string used to reach them and answer 500); the catalog import takes a JSON array or CSV text;
 * - unsafe input (too deep, NUL, lone surrogates: see json-safety.ts) in the body and the query string.
 * One callback-style hook: it runs on every request (issue 14).
 */
export function guardRequestInput(fastify: FastifyInstance, otherBodies: Record<string, RegExp> = {}): void {
  fastify.addHook('preValidation', (request, _reply, next) => {
    const { body } = request;
    // Nothing to check (a GET without a query string, the storefront's most frequent call): no work at all.
    if (body === undefined && !request.url.includes('?')) {
      next();
      return;
    }
    if (body !== undefined) {
      const otherBody = otherBodies[`${request.method} ${request.routeOptions.url ?? ''}`];
      const contentType = request.headers['content-type'] ?? '';
      if (!JSON_CONTENT_TYPE.test(contentType) && !otherBody?.test(contentType)) {
        const message = otherBody ? 'must be application/json or text/csv' : 'must be application/json';
        next(new ValidationFailedError([{ field: 'content-type', message }]));
        return;
      }
      if (!otherBody && (body === null || typeof body !== 'object' || Array.isArray(body))) {
        next(new ValidationFailedError([{ field: 'body', message: 'must be a JSON object' }]));
        return;
      }
    }
    const problem = findUnsafeJson(request.query, 'query') ?? findUnsafeJson(body);
    next(problem ? new ValidationFailedError([problem]) : undefined);
  });
}
