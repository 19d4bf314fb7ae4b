import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID, Length, validateSync } from 'class-validator';
import { ValidationFailedError } from '../../common/errors.js';
import { flattenValidationErrors } from '../../common/validation.js';

/** Query of every merchant URL we hand Klarna. A missing signature is checked (401) like a wrong one. */
export class WebhookQueryDto {
  @ApiProperty() @IsUUID() cart_id: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 128) sig?: string;
}

export class PushQueryDto extends WebhookQueryDto {
  @ApiProperty({ description: "Klarna's order id ({order.id} in the push URL)" })
  @IsString()
  @Length(1, 255)
  order_id: string;
}

export class AuthorizationCallbackDto {
  @ApiProperty() @IsString() @Length(1, 255) authorization_token: string;
  @ApiProperty() @IsString() @Length(1, 255) session_id: string;
}

export class FraudNotificationDto {
  @ApiProperty() @IsString() @Length(1, 255) order_id: string;
  @ApiProperty({ enum: ['FRAUD_RISK_ACCEPTED', 'FRAUD_RISK_REJECTED', 'FRAUD_RISK_STOPPED'] })
  @IsIn(['FRAUD_RISK_ACCEPTED', 'FRAUD_RISK_REJECTED', 'FRAUD_RISK_STOPPED'])
  event_type: string;
}

/**
 * Klarna may add fields to its callbacks at any time, so webhook bodies are checked for what we need and
 * the rest is ignored (the global pipe would refuse unknown fields).
 */
export function parseWebhookBody<T extends object>(type: new () => T, body: unknown): T {
  const value = plainToInstance(type, body ?? {});
  const errors = validateSync(value, { whitelist: true });
  if (errors.length > 0) throw new ValidationFailedError(flattenValidationErrors(errors));
  return value;
}
