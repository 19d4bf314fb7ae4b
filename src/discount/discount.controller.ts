import { Body, Controller, Get, Put, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { OpsApiKeyGuard } from '../common/ops-api-key.guard.js';
import { PatternParam } from '../common/validation.js';
import { DiscountService, type DiscountCodeView } from './discount.service.js';
import { DISCOUNT_CODE_PATTERN, DISCOUNT_CODE_RULE, PutDiscountCodeDto } from './dto/discount-code.dto.js';

const CodeParam = () => PatternParam('code', DISCOUNT_CODE_PATTERN, DISCOUNT_CODE_RULE, 64);

/** Ops manage discount codes; the storefront applies them to a cart (POST /carts/:id/discount-codes). */
@ApiTags('discount codes')
@ApiBearerAuth('ops')
@UseGuards(OpsApiKeyGuard)
@Controller('discount-codes')
export class DiscountController {
  constructor(private readonly discounts: DiscountService) {}

  @Get(':code')
  @ApiOperation({ summary: 'A code with its redemptions (ops; case-insensitive)' })
  get(@CodeParam() code: string): Promise<DiscountCodeView> {
    return this.discounts.getCode(code);
  }

  @Put(':code')
  @ApiOperation({ summary: 'Create (201) or replace (200) a code; its redemptions stay (ops)' })
  async put(
    @CodeParam() code: string,
    @Body() dto: PutDiscountCodeDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<DiscountCodeView> {
    const { created, code: view } = await this.discounts.putCode(code, dto);
    void reply.status(created ? 201 : 200);
    return view;
  }
}
