import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { OrderLineDto } from './order-line.dto.js';
import { MAX_AMOUNT, MAX_LINES } from '../../cart/order-lines.js';
import type { KlarnaOrderStatus } from '../order-management-rules.js';
import type { OrderStatus } from '../order-state.js';

export class AuthorizationDto {
  @ApiProperty({ description: "The token from the Klarna widget's authorize() (or reauthorize())" })
  @IsString()
  @Length(1, 255)
  authorizationToken: string;

  @ApiPropertyOptional({
    default: true,
    description: 'false: only record it; POST /carts/:id/order places the order after review',
  })
  @IsOptional()
  @IsBoolean()
  finalize?: boolean;
}

export class AmendOrderDto {
  @ApiProperty({ example: 10_000, description: 'New order amount in minor units' })
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT)
  orderAmount: number;

  @ApiPropertyOptional({
    type: [OrderLineDto],
    description: 'Replace the order lines; omitted: the lines are deleted',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_LINES)
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  orderLines?: OrderLineDto[];

  @ApiPropertyOptional({ maxLength: 255 })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  description?: string;
}

export class CustomerTokenDto {
  @ApiProperty()
  @IsString()
  @Length(1, 255)
  authorizationToken: string;

  @ApiProperty({ enum: ['SUBSCRIPTION'] })
  @IsIn(['SUBSCRIPTION'])
  intendedUse: string;

  @ApiProperty({ maxLength: 255, example: 'Monthly coffee subscription' })
  @IsString()
  @Length(1, 255)
  description: string;
}

/** Exactly one of the two: the Klarna order ops found, or that Klarna has none for this placement. */
export class ResolvePlacementDto {
  @ApiPropertyOptional({ description: "Klarna's order id; its merchant_reference1 must be this order's id" })
  @ValidateIf((dto: ResolvePlacementDto) => dto.noKlarnaOrder !== true)
  @IsString()
  @Length(1, 255)
  klarnaOrderId?: string;

  @ApiPropertyOptional({ description: 'true: Klarna has no order for it (checked in the Merchant Portal)' })
  @ValidateIf((dto: ResolvePlacementDto) => dto.klarnaOrderId === undefined)
  @IsIn([true], { message: 'must be true when no klarnaOrderId is given' })
  noKlarnaOrder?: boolean;
}

/** Klarna's shipping methods (OM-SPEC shipping_info.shipping_method). */
export const SHIPPING_METHODS = [
  'PickUpStore',
  'Home',
  'BoxReg',
  'BoxUnreg',
  'PickUpPoint',
  'Own',
  'Postal',
  'DHLPackstation',
  'Digital',
  'Undefined',
  'PickUpWarehouse',
  'ClickCollect',
  'PalletDelivery',
] as const;

/** OM-SPEC shipping_info: tracking shown to the shopper in Klarna's app. */
export class ShippingInfoDto {
  @ApiProperty({ maxLength: 100, example: 'DHL US' })
  @IsString()
  @Length(1, 100)
  shippingCompany: string;

  @ApiPropertyOptional({ enum: SHIPPING_METHODS })
  @IsOptional()
  @IsIn(SHIPPING_METHODS)
  shippingMethod?: string;

  @ApiProperty({ maxLength: 100, example: '63456415674545679874' })
  @IsString()
  @Length(1, 100)
  trackingNumber: string;

  @ApiPropertyOptional({ maxLength: 1024 })
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  @MaxLength(1024)
  trackingUri?: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  returnShippingCompany?: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  returnTrackingNumber?: string;

  @ApiPropertyOptional({ maxLength: 1024 })
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  @MaxLength(1024)
  returnTrackingUri?: string;
}

/** A capture or refund: an amount, optionally the lines it covers (they must add up to it). */
class MoneyOperationDto {
  @ApiProperty({ example: 5000, description: 'Minor units' })
  @IsInt()
  @Min(1)
  @Max(MAX_AMOUNT)
  amount: number;

  @ApiPropertyOptional({ type: [OrderLineDto], description: 'What it covers; the lines must add up to amount' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_LINES)
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  orderLines?: OrderLineDto[];

  @ApiPropertyOptional({ maxLength: 255, description: 'Shown to the shopper' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  description?: string;

  @ApiPropertyOptional({ maxLength: 255, description: 'Our reference; appears in Klarna settlement files' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  reference?: string;
}

export class CaptureDto extends MoneyOperationDto {
  @ApiPropertyOptional({ type: [ShippingInfoDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => ShippingInfoDto)
  shippingInfo?: ShippingInfoDto[];
}

export class RefundDto extends MoneyOperationDto {}

export class AddShippingInfoDto {
  @ApiProperty({ type: [ShippingInfoDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => ShippingInfoDto)
  shippingInfo: ShippingInfoDto[];
}

/** The new shipping address (Klarna's customer-details); street, postal code, city and country are required. */
export class ShippingAddressDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(20) title?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) givenName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) familyName?: string;
  @ApiPropertyOptional() @IsOptional() @IsEmail() @MaxLength(99) email?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(5, 99) phone?: string;
  @ApiProperty() @IsString() @Length(1, 99) streetAddress: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) streetAddress2?: string;
  @ApiProperty() @IsString() @Length(1, 10) postalCode: string;
  @ApiProperty() @IsString() @Length(1, 99) city: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) region?: string;
  @ApiProperty({ example: 'SE' })
  @Matches(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 country code' })
  country: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) organizationName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) attention?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) careOf?: string;
}

export class MerchantReferencesDto {
  @ApiPropertyOptional({ description: 'Stays our order id: sending another value is refused' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  merchantReference1?: string;

  @ApiPropertyOptional({ maxLength: 255, description: 'Shown in Klarna settlement files' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  merchantReference2?: string;
}

export class ListOrdersQueryDto {
  @ApiPropertyOptional({ enum: ['placing', 'needs_attention', 'placed', 'confirmed', 'cancelled', 'failed'] })
  @IsOptional()
  @IsIn(['placing', 'needs_attention', 'placed', 'confirmed', 'cancelled', 'failed'])
  status?: OrderStatus;

  @ApiPropertyOptional({ enum: ['authorized', 'part_captured', 'captured', 'cancelled', 'expired', 'closed'] })
  @IsOptional()
  @IsIn(['authorized', 'part_captured', 'captured', 'cancelled', 'expired', 'closed'])
  klarnaStatus?: KlarnaOrderStatus;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  createdFrom?: string;

  @ApiPropertyOptional({ description: 'Exclusive' })
  @IsOptional()
  @IsISO8601({ strict: true })
  createdTo?: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class DriftQueryDto {
  @ApiPropertyOptional({ description: 'Only drift detected at or after this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
