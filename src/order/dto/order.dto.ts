import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { OrderLineDto } from './order-line.dto.js';
import { MAX_AMOUNT, MAX_LINES } from '../../cart/order-lines.js';

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
