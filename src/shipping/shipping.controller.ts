import { Body, Controller, Get, Put, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { OpsApiKeyGuard } from '../common/ops-api-key.guard.js';
import { PatternParam } from '../common/validation.js';
import {
  PutShippingMethodDto,
  SHIPPING_METHOD_ID_PATTERN,
  SHIPPING_METHOD_ID_RULE,
} from './dto/shipping-method.dto.js';
import type { ShippingMethodRecord } from './shipping-rules.js';
import { ShippingService } from './shipping.service.js';

const MethodIdParam = () => PatternParam('id', SHIPPING_METHOD_ID_PATTERN, SHIPPING_METHOD_ID_RULE, 64);

/** Ops manage shipping methods; the storefront sees them through its cart (GET /carts/:id/shipping-options). */
@ApiTags('shipping')
@ApiBearerAuth('ops')
@UseGuards(OpsApiKeyGuard)
@Controller('shipping-methods')
export class ShippingController {
  constructor(private readonly shipping: ShippingService) {}

  @Get()
  @ApiOperation({ summary: 'Every shipping method, active or not (ops)' })
  list(): Promise<ShippingMethodRecord[]> {
    return this.shipping.listMethods();
  }

  @Get(':id')
  @ApiOperation({ summary: 'One shipping method (ops)' })
  get(@MethodIdParam() id: string): Promise<ShippingMethodRecord> {
    return this.shipping.getMethod(id);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Create (201) or replace (200) a shipping method (ops)' })
  async put(
    @MethodIdParam() id: string,
    @Body() dto: PutShippingMethodDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ShippingMethodRecord> {
    const { created, method } = await this.shipping.putMethod(id, dto);
    void reply.status(created ? 201 : 200);
    return method;
  }
}
