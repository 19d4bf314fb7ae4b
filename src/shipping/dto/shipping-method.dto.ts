import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { MAX_AMOUNT } from '../../cart/order-lines.js';
import { TAX_CLASS_PATTERN, TAX_CLASS_RULE } from '../../catalog/dto/product.dto.js';
import { KLARNA_COUNTRIES, KLARNA_CURRENCIES } from '../../catalog/pricing.js';

export const SHIPPING_METHOD_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const SHIPPING_METHOD_ID_RULE = 'must be 1-64 letters, digits, "-" or "_"';

/** An amount in one currency (minor units). */
export class MoneyAmountDto {
  @ApiProperty({ example: 'SEK', enum: KLARNA_CURRENCIES })
  @IsString()
  @IsIn(KLARNA_CURRENCIES, { message: 'currency must be a currency Klarna sells in (ISO 4217)' })
  currency: string;

  @ApiProperty({ example: 4900, description: 'Minor units' })
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT)
  amount: number;
}

/** `PUT /shipping-methods/:id`: the whole method (create or replace). */
export class PutShippingMethodDto {
  @ApiProperty({ example: 'PostNord home delivery', maxLength: 255 })
  @IsString()
  @Length(1, 255)
  name: string;

  @ApiProperty({ example: ['SE'], description: 'Countries (ISO 3166 alpha-2) the method delivers to' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(KLARNA_COUNTRIES.length)
  @ArrayUnique()
  @IsIn(KLARNA_COUNTRIES, { each: true, message: 'countries must be countries Klarna sells in (ISO 3166 alpha-2)' })
  countries: string[];

  @ApiProperty({ type: [MoneyAmountDto], description: 'One per currency; tax included, except USD (net)' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(KLARNA_CURRENCIES.length)
  @ValidateNested({ each: true })
  @Type(() => MoneyAmountDto)
  prices: MoneyAmountDto[];

  @ApiProperty({ example: 'standard', description: 'Looked up with the cart’s country in the tax rates' })
  @Matches(TAX_CLASS_PATTERN, { message: `taxClass ${TAX_CLASS_RULE}` })
  taxClass: string;

  @ApiPropertyOptional({ type: [MoneyAmountDto], description: 'Items worth at least this ship free (per currency)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(KLARNA_CURRENCIES.length)
  @ValidateNested({ each: true })
  @Type(() => MoneyAmountDto)
  freeOver?: MoneyAmountDto[];

  @ApiPropertyOptional({ example: '1-3 working days', maxLength: 255 })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  deliveryEstimate?: string;

  @ApiProperty({ example: true })
  @IsBoolean()
  active: boolean;
}

/** `PUT /carts/:id/shipping`. */
export class SelectShippingDto {
  @ApiProperty({ example: 'se-home' })
  @IsString()
  @Matches(SHIPPING_METHOD_ID_PATTERN, { message: `methodId ${SHIPPING_METHOD_ID_RULE}` })
  methodId: string;
}
