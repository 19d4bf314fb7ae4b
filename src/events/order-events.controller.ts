import { Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OpsApiKeyGuard } from '../common/ops-api-key.guard.js';
import { UuidParam } from '../common/validation.js';
import { ListEventsQueryDto, RedeliverQueryDto } from './dto/list-events.dto.js';
import { OrderEventsService, type OrderEventView } from './order-events.service.js';

@ApiTags('ops')
@Controller('events')
@UseGuards(OpsApiKeyGuard)
@ApiBearerAuth('ops')
export class OrderEventsController {
  constructor(private readonly events: OrderEventsService) {}

  @Get()
  @ApiOperation({ summary: "Operations: events for the merchant's systems, oldest first, with their deliveries" })
  list(@Query() query: ListEventsQueryDto): Promise<{ events: OrderEventView[]; nextCursor: string | null }> {
    return this.events.list({ ...query, limit: query.limit ?? 100 });
  }

  @Post('redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Operations: deliver every dead event again (same webhook-id, in order per order)' })
  redeliverDead(@Query() _query: RedeliverQueryDto): Promise<{ redelivered: number }> {
    return this.events.redeliverDead();
  }

  @Get(':eventId')
  @ApiOperation({ summary: 'Operations: one event with its deliveries' })
  get(@UuidParam('eventId') eventId: string): Promise<OrderEventView> {
    return this.events.get(eventId);
  }

  @Post(':eventId/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Operations: deliver this event again (same webhook-id)' })
  redeliver(@UuidParam('eventId') eventId: string): Promise<OrderEventView> {
    return this.events.redeliver(eventId);
  }
}
