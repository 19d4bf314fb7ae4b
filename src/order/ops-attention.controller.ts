import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OpsApiKeyGuard } from '../common/ops-api-key.guard.js';
import { OrderService } from './order.service.js';

@ApiTags('ops')
@Controller('ops')
@UseGuards(OpsApiKeyGuard)
@ApiBearerAuth('ops')
export class OpsAttentionController {
  constructor(private readonly orders: OrderService) {}

  @Get('attention')
  @ApiOperation({
    summary:
      'Operations: placements whose Klarna outcome stayed unknown (needs_attention) and Klarna orders we could not match',
  })
  attention(): ReturnType<OrderService['attentionList']> {
    return this.orders.attentionList();
  }
}
