import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { hasOpsApiKey } from '../common/ops-api-key.guard.js';
import { LifecycleService } from '../lifecycle/lifecycle.service.js';
import { isOpsRequest } from '../ops/ops-listener.js';
import { ReadinessProbe, type CheckResult } from './readiness-probe.js';

export type ReadinessAnswer =
  | { status: 'ok' }
  | { code: 'NOT_READY'; message: string }
  | { status: 'ok' | 'not_ready'; checks: Record<string, CheckResult> };

@ApiTags('ops')
@Controller('health')
export class HealthController {
  constructor(
    private readonly probe: ReadinessProbe,
    private readonly lifecycle: LifecycleService,
    private readonly config: AppConfig,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary:
      'Readiness: database reachable, migrations applied, not shutting down (503 NOT_READY otherwise). ' +
      'The checks are shown on the ops port or with the operations API key only.',
  })
  async ready(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReadinessAnswer> {
    const checks: Record<string, CheckResult> = {
      ...(await this.probe.check()),
      pool: this.probe.poolCheck(),
      shutdown: this.lifecycle.ready
        ? { status: 'up' }
        : { status: 'down', reason: `stopping (${this.lifecycle.stage})` },
    };
    const ready = Object.values(checks).every((check) => check.status !== 'down');
    void reply.status(ready ? 200 : 503);
    if (isOpsRequest(request) || hasOpsApiKey(request, this.config)) {
      return { status: ready ? 'ok' : 'not_ready', checks };
    }
    // Hosts, error texts and migration names are for operators, not for whoever can reach the public port.
    return ready ? { status: 'ok' } : { code: 'NOT_READY', message: 'Not ready' };
  }
}
