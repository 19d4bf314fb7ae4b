import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Length, Max, MaxLength, Min } from 'class-validator';
import { MAX_AMOUNT, ORDER_LINE_TYPES } from '../../cart/order-lines.js';

/** A whole order line as operations send it to amend an order (trusted: prices come from the merchant). */
export class OrderLineDto {
  @ApiProperty({ example: 'SKU-123', maxLength: 255 })
  @IsString()
  @Length(1, 255)
  reference: string;

  @ApiProperty({ example: 'Running shoe', maxLength: 255 })
  @IsString()
  @Length(1, 255)
  name: string;

  @ApiProperty({ example: 1, minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(100_000)
  quantity: number;

  @ApiProperty({
    example: 12_900,
    description: 'Minor units, tax included; zero or negative for discount, gift_card, store_credit',
  })
  @IsInt()
  @Min(-MAX_AMOUNT)
  @Max(MAX_AMOUNT)
  unitPrice: number;

  @ApiProperty({ example: 2500, description: 'Basis points: 2500 = 25 %, 770 = 7.7 %' })
  @IsInt()
  @Min(0)
  @Max(10_000)
  taxRate: number;

  @ApiPropertyOptional({ enum: ORDER_LINE_TYPES, default: 'physical' })
  @IsOptional()
  @IsIn(ORDER_LINE_TYPES)
  type?: string;

  @ApiPropertyOptional({ example: 0, description: 'Minor units, tax included' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT)
  totalDiscountAmount?: number;

  @ApiPropertyOptional({ example: 'pcs', maxLength: 8 })
  @IsOptional()
  @IsString()
  @Length(1, 8)
  quantityUnit?: string;

  @ApiPropertyOptional({ maxLength: 1024 })
  @IsOptional()
  @MaxLength(1024)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true })
  imageUrl?: string;

  @ApiPropertyOptional({ maxLength: 1024 })
  @IsOptional()
  @MaxLength(1024)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true })
  productUrl?: string;
}
