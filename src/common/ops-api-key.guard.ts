import { timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { UnauthorizedError } from './errors.js';

/** Operations endpoints: `Authorization: Bearer <OPS_API_KEY>`; with no key configured, nobody gets in. */
@Injectable()
export class OpsApiKeyGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    if (hasOpsApiKey(context.switchToHttp().getRequest<FastifyRequest>(), this.config)) return true;
    throw new UnauthorizedError('A valid operations API key is required (Authorization: Bearer <OPS_API_KEY>)');
  }
}

/** Whether the request carries the configured operations API key (compared in constant time). */
export function hasOpsApiKey(request: FastifyRequest, config: AppConfig): boolean {
  const header = request.headers.authorization ?? '';
  const given = Buffer.from(header.replace(/^Bearer\s+/i, ''));
  const expected = Buffer.from(config.opsApiKey ?? '');
  return expected.length > 0 && given.length === expected.length && timingSafeEqual(given, expected);
}
