import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Put, Res, type ValidationPipe } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAnswers } from '../docs/api-schemas.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DirectRoute } from '../common/direct-routes.js';
import { checkedUuid, PatternParam, UuidParam } from '../common/validation.js';
import { ApplyDiscountCodeDto, DISCOUNT_CODE_PATTERN, DISCOUNT_CODE_RULE } from '../discount/dto/discount-code.dto.js';
import { SelectShippingDto } from '../shipping/dto/shipping-method.dto.js';
import type { ShippingOption } from '../shipping/shipping-rules.js';
import type { KlarnaSessionAnswer } from '../klarna-session/klarna-session.types.js';
import { CartService } from './cart.service.js';
import type { CartView } from './cart.types.js';
import { AddCartItemDto, UpdateCartItemDto } from './dto/cart-item.dto.js';
import { CreateCartDto, OpenKlarnaSessionDto, UpdateCartDto } from './dto/cart.dto.js';
import { PutCustomerDto } from './dto/customer.dto.js';

@ApiTags('cart')
@Controller('carts')
export class CartController {
  constructor(private readonly carts: CartService) {}

  @Post()
  @ApiOperation({ summary: 'Create a cart (201)' })
  @ApiAnswers({ 201: 'Cart' }, [400])
  createCart(@Body() dto: CreateCartDto): Promise<CartView> {
    return this.carts.createCart(dto);
  }

  @Get(':cartId')
  @ApiOperation({ summary: 'Read a cart with its totals and Klarna state' })
  @ApiAnswers({ 200: 'Cart' }, [400, 404])
  getCart(@UuidParam('cartId') cartId: string): Promise<CartView> {
    return this.carts.getCart(cartId);
  }

  @Patch(':cartId')
  @ApiOperation({ summary: 'Change country, currency or locale (a new Klarna session follows a market change)' })
  @ApiAnswers({ 200: 'Cart' }, [400, 404, 409])
  updateCart(@UuidParam('cartId') cartId: string, @Body() dto: UpdateCartDto): Promise<CartView> {
    return this.carts.updateCart(cartId, dto);
  }

  @Post(':cartId/items')
  @ApiOperation({ summary: 'Add a line (201); pushed to the Klarna session if there is one' })
  @ApiAnswers({ 201: 'Cart' }, [400, 404, 409, 422])
  addItem(@UuidParam('cartId') cartId: string, @Body() dto: AddCartItemDto): Promise<CartView> {
    return this.carts.addItem(cartId, dto);
  }

  @Patch(':cartId/items/:itemId')
  @ApiOperation({ summary: 'Change a line' })
  @ApiAnswers({ 200: 'Cart' }, [400, 404, 409])
  updateItem(
    @UuidParam('cartId') cartId: string,
    @UuidParam('itemId') itemId: string,
    @Body() dto: UpdateCartItemDto,
  ): Promise<CartView> {
    return this.carts.updateItem(cartId, itemId, dto);
  }

  @Delete(':cartId/items/:itemId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove a line' })
  @ApiAnswers({ 200: 'Cart' }, [400, 404, 409])
  removeItem(@UuidParam('cartId') cartId: string, @UuidParam('itemId') itemId: string): Promise<CartView> {
    return this.carts.removeItem(cartId, itemId);
  }

  @Put(':cartId/customer')
  @ApiOperation({ summary: "Set billing/shipping address and customer (only after the shopper's consent)" })
  @ApiAnswers({ 200: 'Cart' }, [400, 404, 409])
  setCustomer(@UuidParam('cartId') cartId: string, @Body() dto: PutCustomerDto): Promise<CartView> {
    return this.carts.setCustomer(cartId, dto);
  }

  @Get(':cartId/shipping-options')
  @ApiOperation({ summary: "The shipping methods of the cart's market, priced for this cart (free over a threshold)" })
  @ApiAnswers({ 200: 'ShippingOptions' }, [400, 404])
  shippingOptions(
    @UuidParam('cartId') cartId: string,
  ): Promise<{ selected: string | null; options: (ShippingOption & { selected: boolean })[] }> {
    return this.carts.shippingOptions(cartId);
  }

  @Put(':cartId/shipping')
  @ApiOperation({ summary: 'Choose the shipping method: adds the shipping_fee line (422 SHIPPING_METHOD_UNAVAILABLE)' })
  @ApiAnswers({ 200: 'Cart' }, [400, 404, 409, 422])
  selectShipping(@UuidParam('cartId') cartId: string, @Body() dto: SelectShippingDto): Promise<CartView> {
    return this.carts.selectShipping(cartId, dto.methodId);
  }

  @Post(':cartId/discount-codes')
  @HttpCode(200)
  @ApiOperation({ summary: 'Apply a discount code, replacing any other (422 DISCOUNT_CODE_INVALID with a reason)' })
  @ApiAnswers({ 200: 'Cart' }, [400, 404, 409, 422])
  applyDiscountCode(@UuidParam('cartId') cartId: string, @Body() dto: ApplyDiscountCodeDto): Promise<CartView> {
    return this.carts.applyDiscountCode(cartId, dto.code);
  }

  @Delete(':cartId/discount-codes/:code')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove the discount code' })
  @ApiAnswers({ 200: 'Cart' }, [400, 404, 409])
  removeDiscountCode(
    @UuidParam('cartId') cartId: string,
    @PatternParam('code', DISCOUNT_CODE_PATTERN, DISCOUNT_CODE_RULE, 64) code: string,
  ): Promise<CartView> {
    return this.carts.removeDiscountCode(cartId, code);
  }

  @Post(':cartId/klarna-session')
  @ApiOperation({ summary: 'Create the Klarna session (201), or return the live one (200)' })
  @ApiAnswers({ 201: 'KlarnaSession', 200: 'KlarnaSession' }, [400, 404, 409, 422])
  async openKlarnaSession(
    @UuidParam('cartId') cartId: string,
    @Body() dto: OpenKlarnaSessionDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<KlarnaSessionAnswer> {
    const { created, session } = await this.carts.openKlarnaSession(cartId, dto?.intent ?? 'buy');
    void reply.status(created ? 201 : 200);
    return session;
  }

  @Get(':cartId/klarna-session')
  @ApiOperation({ summary: 'The Klarna session of the cart, or 404 NO_KLARNA_SESSION' })
  @ApiAnswers({ 200: 'KlarnaSession' }, [400, 404])
  getKlarnaSession(@UuidParam('cartId') cartId: string): Promise<KlarnaSessionAnswer> {
    return this.carts.getKlarnaSession(cartId);
  }
}

/**
 * The storefront's most frequent calls, reading a cart and changing a line, served past Nest's router
 * (common/direct-routes.ts) with the checks their decorators make: the path's UUIDs, then the body through the
 * global ValidationPipe.
 */
export function cartDirectRoutes(controller: CartController, validationPipe: ValidationPipe): DirectRoute[] {
  const param = (request: FastifyRequest, name: 'cartId' | 'itemId') =>
    checkedUuid((request.params as Record<string, string>)[name], name);
  const body = async <T>(request: FastifyRequest, metatype: new () => T) =>
    (await validationPipe.transform(request.body, { type: 'body', metatype })) as T;
  return [
    {
      method: 'GET',
      url: '/carts/:cartId',
      handle: (request) => controller.getCart(param(request, 'cartId')),
    },
    {
      method: 'PATCH',
      url: '/carts/:cartId/items/:itemId',
      handle: async (request) =>
        controller.updateItem(
          param(request, 'cartId'),
          param(request, 'itemId'),
          await body(request, UpdateCartItemDto),
        ),
    },
  ];
}
