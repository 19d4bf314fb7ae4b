import { Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OpsApiKeyGuard } from '../common/ops-api-key.guard.js';
import { DriftQueryDto } from './dto/order.dto.js';
import type { DriftView } from './order.types.js';
import { ReconciliationService, type ReconciliationResult } from './reconciliation.service.js';

@ApiTags('ops')
@Controller('ops')
@UseGuards(OpsApiKeyGuard)
@ApiBearerAuth('ops')
export class ReconciliationController {
  constructor(private readonly reconciliation: ReconciliationService) {}

  @Get('drift')
  @ApiOperation({
    summary: 'Operations: differences the reconciliation found between our orders and Klarna, newest first',
  })
  async drift(@Query() query: DriftQueryDto): Promise<{ drift: DriftView[] }> {
    return {
      drift: await this.reconciliation.drift(query.since ? new Date(query.since) : undefined, query.limit ?? 100),
    };
  }

  @Post('reconcile')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Operations: run the reconciliation with Klarna Order Management now (it also runs on RECONCILE_CRON)',
  })
  reconcile(): Promise<ReconciliationResult> {
    return this.reconciliation.run();
  }
}
