import { Body, Controller, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAnswers } from '../docs/api-schemas.js';
import type { FastifyReply } from 'fastify';
import { UuidParam } from '../common/validation.js';
import { CustomerTokenService } from './customer-token.service.js';
import { AuthorizationDto, CustomerTokenDto } from './dto/order.dto.js';
import { OrderService, type PlacementOutcome } from './order.service.js';
import type { PlacementAnswer } from './order.types.js';

/** The storefront's side of turning a Klarna authorization into an order. */
@ApiTags('order')
@Controller('carts/:cartId')
export class CheckoutController {
  constructor(
    private readonly orders: OrderService,
    private readonly customerTokens: CustomerTokenService,
  ) {}

  @Post('klarna-session/authorizations')
  @ApiOperation({ summary: 'Hand over an authorization token: places the order (201, 200 for a repeat) or records it' })
  @ApiAnswers({ 201: 'Placement|AuthorizationHeld', 200: 'Placement' }, [400, 404, 409, 422])
  async authorize(
    @UuidParam('cartId') cartId: string,
    @Body() dto: AuthorizationDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PlacementAnswer | { status: 'authorized' }> {
    return answer(await this.orders.authorize(cartId, dto.authorizationToken, dto.finalize ?? true), reply);
  }

  @Post('order')
  @ApiOperation({ summary: 'Place the order with the live authorization (after an order review page)' })
  @ApiAnswers({ 201: 'Placement|AuthorizationHeld', 200: 'Placement' }, [400, 404, 409, 422])
  async placeOrder(
    @UuidParam('cartId') cartId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PlacementAnswer | { status: 'authorized' }> {
    return answer(await this.orders.placeReviewedOrder(cartId), reply);
  }

  @Post('klarna-session/customer-token')
  @ApiOperation({ summary: 'Create a Klarna customer token for recurring purchases (201)' })
  @ApiAnswers({ 201: 'CustomerToken' }, [400, 404, 409, 422])
  createCustomerToken(
    @UuidParam('cartId') cartId: string,
    @Body() dto: CustomerTokenDto,
  ): Promise<{ tokenId: string; redirectUrl: string | null }> {
    return this.customerTokens.create(cartId, dto);
  }
}

function answer(outcome: PlacementOutcome, reply: FastifyReply): PlacementAnswer | { status: 'authorized' } {
  if (outcome.kind === 'placed') {
    void reply.status(outcome.created ? 201 : 200);
    return outcome.answer;
  }
  void reply.status(201);
  return { status: 'authorized' };
}
