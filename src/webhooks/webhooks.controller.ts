import { Body, Controller, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  AuthorizationCallbackDto,
  FraudNotificationDto,
  PushQueryDto,
  WebhookQueryDto,
  parseWebhookBody,
} from './dto/webhook.dto.js';
import { WebhooksService, type WebhookOutcome } from './webhooks.service.js';

@ApiTags('webhooks')
@Controller('webhooks/klarna')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post('authorization')
  @HttpCode(200)
  @ApiBody({ type: AuthorizationCallbackDto })
  @ApiOperation({ summary: "Klarna's authorization callback (merchant_urls.authorization)" })
  async authorization(@Query() query: WebhookQueryDto, @Body() body: unknown): Promise<{ status: WebhookOutcome }> {
    const callback = parseWebhookBody(AuthorizationCallbackDto, body);
    return { status: await this.webhooks.authorizationCallback(query.cart_id, query.sig, callback) };
  }

  @Post('push')
  @HttpCode(200)
  @ApiOperation({ summary: "Klarna's push (merchant_urls.push): the order is read from Order Management" })
  async push(@Query() query: PushQueryDto): Promise<{ status: WebhookOutcome }> {
    return { status: await this.webhooks.push(query.cart_id, query.sig, query.order_id) };
  }

  @Post('notification')
  @HttpCode(200)
  @ApiBody({ type: FraudNotificationDto })
  @ApiOperation({ summary: "Klarna's fraud decision notification (merchant_urls.notification)" })
  async notification(@Query() query: WebhookQueryDto, @Body() body: unknown): Promise<{ status: WebhookOutcome }> {
    const notification = parseWebhookBody(FraudNotificationDto, body);
    return { status: await this.webhooks.notification(query.cart_id, query.sig, notification) };
  }
}
