import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';

/** The market a storefront shows prices for; checked against Klarna's markets by the service. */
export class MarketQueryDto {
  @ApiProperty({ example: 'SE' })
  @IsString()
  @Length(2, 2)
  country: string;

  @ApiProperty({ example: 'SEK' })
  @IsString()
  @Length(3, 3)
  currency: string;

  @ApiProperty({ example: 'sv-SE' })
  @IsString()
  @Length(2, 16)
  locale: string;
}

export class ListProductsQueryDto extends MarketQueryDto {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
