import { Body, Controller, Get, Headers, HttpCode, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAnswers } from '../docs/api-schemas.js';
import { randomUUID } from 'node:crypto';
import { OpsApiKeyGuard } from '../common/ops-api-key.guard.js';
import { UuidParam } from '../common/validation.js';
import {
  AddShippingInfoDto,
  AmendOrderDto,
  CaptureDto,
  ListOrdersQueryDto,
  MerchantReferencesDto,
  RefundDto,
  ResolvePlacementDto,
  ShippingAddressDto,
} from './dto/order.dto.js';
import { OrderManagementService } from './order-management.service.js';
import { OrderService } from './order.service.js';
import type { CaptureView, OperationView, OrderView, ReceiptView, RefundView } from './order.types.js';

const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  required: false,
  description: 'Repeat it to retry the same operation (Klarna executes it once); the same key with another body is 422',
};

@ApiTags('order')
@Controller('orders')
export class OrderController {
  constructor(
    private readonly orders: OrderService,
    private readonly management: OrderManagementService,
  ) {}

  @Get()
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiOperation({ summary: 'Operations: orders, newest first, cursor-paginated' })
  list(@Query() query: ListOrdersQueryDto): Promise<{ orders: OrderView[]; nextCursor: string | null }> {
    return this.management.listOrders(query);
  }

  @Get(':orderId')
  @ApiOperation({ summary: 'The order for the confirmation page: what a receipt shows, no cart id or personal data' })
  @ApiAnswers({ 200: 'Order' }, [400, 404])
  getReceipt(@UuidParam('orderId') orderId: string): Promise<ReceiptView> {
    return this.orders.getReceipt(orderId);
  }

  @Patch(':orderId/authorization')
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiHeader(IDEMPOTENCY_KEY)
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
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiOperation({ summary: 'Operations: cancel the order at Klarna (only before any capture)' })
  cancel(
    @UuidParam('orderId') orderId: string,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<OrderView> {
    return this.management.cancel(orderId, requestKey(idempotencyKey));
  }

  @Post(':orderId/captures')
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiOperation({ summary: 'Operations: capture (part of) the remaining authorized amount when goods ship' })
  capture(
    @UuidParam('orderId') orderId: string,
    @Body() dto: CaptureDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<CaptureView> {
    return this.management.capture(orderId, dto, requestKey(idempotencyKey));
  }

  @Get(':orderId/captures')
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiOperation({ summary: "Operations: the order's captures" })
  captures(@UuidParam('orderId') orderId: string): Promise<CaptureView[]> {
    return this.management.captures(orderId);
  }

  @Post(':orderId/captures/:captureId/shipping-info')
  @HttpCode(200)
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiOperation({ summary: 'Operations: add tracking to a capture' })
  addShippingInfo(
    @UuidParam('orderId') orderId: string,
    @UuidParam('captureId') captureId: string,
    @Body() dto: AddShippingInfoDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<CaptureView> {
    return this.management.addShippingInfo(orderId, captureId, dto.shippingInfo, requestKey(idempotencyKey));
  }

  @Post(':orderId/refunds')
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiOperation({ summary: 'Operations: refund (part of) what was captured' })
  refund(
    @UuidParam('orderId') orderId: string,
    @Body() dto: RefundDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<RefundView> {
    return this.management.refund(orderId, dto, requestKey(idempotencyKey));
  }

  @Get(':orderId/refunds')
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiOperation({ summary: "Operations: the order's refunds" })
  refunds(@UuidParam('orderId') orderId: string): Promise<RefundView[]> {
    return this.management.refunds(orderId);
  }

  @Post(':orderId/extend-authorization')
  @HttpCode(200)
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiOperation({ summary: "Operations: extend the authorization's expiry (Klarna: at most 180 days after creation)" })
  extendAuthorization(
    @UuidParam('orderId') orderId: string,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<OrderView> {
    return this.management.extendAuthorization(orderId, requestKey(idempotencyKey));
  }

  @Post(':orderId/release-remaining-authorization')
  @HttpCode(200)
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiOperation({ summary: 'Operations: release what was not captured (only after a partial capture)' })
  releaseRemainingAuthorization(
    @UuidParam('orderId') orderId: string,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<OrderView> {
    return this.management.releaseRemainingAuthorization(orderId, requestKey(idempotencyKey));
  }

  @Patch(':orderId/shipping-address')
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiOperation({ summary: "Operations: change the order's shipping address at Klarna" })
  updateShippingAddress(
    @UuidParam('orderId') orderId: string,
    @Body() dto: ShippingAddressDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<OrderView> {
    return this.management.updateShippingAddress(orderId, { ...dto }, requestKey(idempotencyKey));
  }

  @Patch(':orderId/merchant-references')
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiOperation({ summary: 'Operations: set merchant reference 2 (reference 1 stays our order id)' })
  updateMerchantReferences(
    @UuidParam('orderId') orderId: string,
    @Body() dto: MerchantReferencesDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<OrderView> {
    return this.management.updateMerchantReferences(orderId, dto, requestKey(idempotencyKey));
  }

  @Get(':orderId/operations')
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiOperation({ summary: "Operations: every Order Management operation with Klarna's result and correlation id" })
  operations(@UuidParam('orderId') orderId: string): Promise<OperationView[]> {
    return this.management.operations(orderId);
  }
}

/** Without the caller's key every request is a new operation. */
function requestKey(idempotencyKey: string | undefined): string {
  return idempotencyKey && idempotencyKey.length <= 255 ? idempotencyKey : randomUUID();
}
