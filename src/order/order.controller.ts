import { Body, Controller, Get, Headers, HttpCode, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { OpsApiKeyGuard } from '../common/ops-api-key.guard.js';
import { UuidParam } from '../common/validation.js';
import { AmendOrderDto, ResolvePlacementDto } from './dto/order.dto.js';
import { OrderManagementService } from './order-management.service.js';
import { OrderService } from './order.service.js';
import type { OrderView } from './order.types.js';

@ApiTags('order')
@Controller('orders')
export class OrderController {
  constructor(
    private readonly orders: OrderService,
    private readonly management: OrderManagementService,
  ) {}

  @Get(':orderId')
  @ApiOperation({ summary: 'The order for the confirmation page' })
  getOrder(@UuidParam('orderId') orderId: string): Promise<OrderView> {
    return this.orders.getOrder(orderId);
  }

  @Patch(':orderId/authorization')
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Repeat it to retry the same operation' })
  @ApiOperation({ summary: 'Operations: update the order amount through Klarna Order Management' })
  amend(
    @UuidParam('orderId') orderId: string,
    @Body() dto: AmendOrderDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<OrderView> {
    return this.management.amend(orderId, dto, requestKey(idempotencyKey));
  }

  @Post(':orderId/resolve')
  @HttpCode(200)
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiOperation({
    summary:
      'Operations: settle a placement whose outcome stayed unknown, by the Klarna order id found (matched on merchant_reference1) or as having no Klarna order',
  })
  resolve(@UuidParam('orderId') orderId: string, @Body() dto: ResolvePlacementDto): Promise<OrderView> {
    return this.orders.resolvePlacement(orderId, dto);
  }

  @Post(':orderId/cancel')
  @HttpCode(200)
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiOperation({ summary: 'Operations: cancel the order at Klarna' })
  cancel(
    @UuidParam('orderId') orderId: string,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<OrderView> {
    return this.management.cancel(orderId, requestKey(idempotencyKey));
  }
}

/** Without the caller's key every request is a new operation. */
function requestKey(idempotencyKey: string | undefined): string {
  return idempotencyKey && idempotencyKey.length <= 255 ? idempotencyKey : randomUUID();
}
