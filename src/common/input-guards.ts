import type { FastifyInstance } from 'fastify';
import { ValidationFailedError } from './errors.js';
import { findUnsafeJson } from './json-safety.js';

/**
 * Refuses unsafe input (too deep, NUL, lone surrogates: see json-safety.ts) in the body and the query string
 * right after Fastify parsed them, before Nest's ValidationPipe and class-transformer see anything.
 */
export function guardRequestInput(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', async (request) => {
    const problem = findUnsafeJson(request.query, 'query') ?? findUnsafeJson(request.body);
    if (problem) throw new ValidationFailedError([problem]);
  });
}
