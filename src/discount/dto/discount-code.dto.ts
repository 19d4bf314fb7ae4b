import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
  ArrayMinSize,
} from 'class-validator';
import { KLARNA_CURRENCIES } from '../../catalog/pricing.js';
import { MoneyAmountDto } from '../../shipping/dto/shipping-method.dto.js';
import { DISCOUNT_KINDS, DISCOUNT_SCOPES } from '../discount-rules.js';

export const DISCOUNT_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const DISCOUNT_CODE_RULE = 'must be 1-64 letters, digits, "-" or "_"';

/** `PUT /discount-codes/:code`: the whole code (create or replace; its redemptions stay). */
export class PutDiscountCodeDto {
  @ApiProperty({ enum: DISCOUNT_KINDS })
  @IsIn(DISCOUNT_KINDS)
  kind: (typeof DISCOUNT_KINDS)[number];

  @ApiPropertyOptional({ example: 1000, description: 'Basis points (1000 = 10 %); required for percent' })
  @ValidateIf((dto: PutDiscountCodeDto) => dto.kind === 'percent' || dto.percent !== undefined)
  @IsInt()
  @Min(1)
  @Max(10_000)
  percent?: number;

  @ApiPropertyOptional({ type: [MoneyAmountDto], description: 'Per currency; required for fixed' })
  @ValidateIf((dto: PutDiscountCodeDto) => dto.kind === 'fixed' || dto.amounts !== undefined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(KLARNA_CURRENCIES.length)
  @ValidateNested({ each: true })
  @Type(() => MoneyAmountDto)
  amounts?: MoneyAmountDto[];

  @ApiPropertyOptional({ type: [MoneyAmountDto], description: 'The items must be worth at least this' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(KLARNA_CURRENCIES.length)
  @ValidateNested({ each: true })
  @Type(() => MoneyAmountDto)
  minOrder?: MoneyAmountDto[];

  @ApiProperty({ enum: DISCOUNT_SCOPES })
  @IsIn(DISCOUNT_SCOPES)
  appliesTo: (typeof DISCOUNT_SCOPES)[number];

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  validFrom?: string;

  @ApiPropertyOptional({ example: '2027-01-01T00:00:00Z', description: 'Exclusive' })
  @IsOptional()
  @IsISO8601({ strict: true })
  validUntil?: string;

  @ApiPropertyOptional({ example: 100, description: 'Uses in all; absent: unlimited' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100_000_000)
  maxRedemptions?: number;

  @ApiProperty({ example: true })
  @IsBoolean()
  active: boolean;
}

/** `POST /carts/:id/discount-codes`. */
export class ApplyDiscountCodeDto {
  @ApiProperty({ example: 'WELCOME10', description: 'Matched case-insensitively' })
  @IsString()
  @Matches(DISCOUNT_CODE_PATTERN, { message: `code ${DISCOUNT_CODE_RULE}` })
  code: string;
}
