import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import type { KlarnaSessionIntent } from '../../klarna/klarna.types.js';

export class CreateCartDto {
  @ApiProperty({ example: 'SE', description: 'ISO 3166-1 alpha-2 country' })
  @Matches(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 country code such as SE' })
  purchaseCountry: string;

  @ApiProperty({ example: 'SEK', description: 'ISO 4217 currency' })
  @Matches(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 currency code such as SEK' })
  purchaseCurrency: string;

  @ApiProperty({ example: 'sv-SE', description: 'Full locale tag (sv-SE, never sv)' })
  @Matches(/^[a-z]{2}-[A-Z]{2}$/, { message: 'must be a full locale tag such as sv-SE' })
  locale: string;
}

/** Changing country or currency starts a new Klarna session (Klarna refuses currency changes). */
export class UpdateCartDto {
  @ApiPropertyOptional({ example: 'NO' })
  @IsOptional()
  @Matches(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 country code such as SE' })
  purchaseCountry?: string;

  @ApiPropertyOptional({ example: 'NOK' })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 currency code such as SEK' })
  purchaseCurrency?: string;

  @ApiPropertyOptional({ example: 'nb-NO' })
  @IsOptional()
  @Matches(/^[a-z]{2}-[A-Z]{2}$/, { message: 'must be a full locale tag such as sv-SE' })
  locale?: string;
}

/** POST /carts/:id/klarna-session; the body is optional. */
export class OpenKlarnaSessionDto {
  @ApiPropertyOptional({
    enum: ['buy', 'tokenize', 'buy_and_tokenize'],
    default: 'buy',
    description: 'tokenize or buy_and_tokenize: the session can give a customer token for recurring purchases',
  })
  @IsOptional()
  @IsIn(['buy', 'tokenize', 'buy_and_tokenize'])
  intent?: KlarnaSessionIntent;
}
