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
  IsUrl,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { MAX_AMOUNT } from '../../cart/order-lines.js';
import { PRODUCT_TYPES } from '../catalog.types.js';
import { KLARNA_COUNTRIES, KLARNA_CURRENCIES } from '../pricing.js';

/**
 * The catalog's validation rules, used by the operations endpoints (through the global ValidationPipe) and
 * by the import (each row through the same classes). Limits follow Klarna's order line (FACTS §4).
 */

/**
 * No commas (the shop catalog's `references=a,b` list), no control characters, no space at either end.
 * Klarna allows 255 characters in Order Management.
 */
export const REFERENCE_PATTERN = /^[^\s,\p{Cc}](?:[^,\p{Cc}]*[^\s,\p{Cc}])?$/u;
export const REFERENCE_RULE = 'must be 1-255 characters without commas, control characters or surrounding spaces';
export const TAX_CLASS_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const TAX_CLASS_RULE = 'must be 1-64 lower-case letters, digits, "-" or "_"';
const LOCALE_KEY = /^[a-z]{2,3}(-[A-Z]{2})?$/;
const HTTP_URL = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };
const MAX_NAMES = 50;

/** Names per locale: `{ "sv-SE": "Löparsko", "de": "Laufschuh" }`. */
function IsLocalizedNames(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isLocalizedNames',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.keys(value).length <= MAX_NAMES &&
          Object.entries(value).every(
            ([key, name]) => LOCALE_KEY.test(key) && typeof name === 'string' && name.length >= 1 && name.length <= 255,
          ),
        defaultMessage: () =>
          `must map locales ("sv-SE") or languages ("sv") to names of 1-255 characters (at most ${MAX_NAMES})`,
      },
    },
    options,
  );
}

/** A list of prices may name each currency once. */
function HasDistinctCurrencies(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'hasDistinctCurrencies',
      validator: {
        validate: (value: unknown) => {
          if (!Array.isArray(value)) return true;
          const currencies = value.map((price) => (price as { currency?: unknown })?.currency);
          return new Set(currencies).size === currencies.length;
        },
        defaultMessage: () => 'must name each currency once',
      },
    },
    options,
  );
}

export class PriceDto {
  @ApiProperty({ example: 'SEK', enum: KLARNA_CURRENCIES, description: 'ISO 4217, a currency Klarna sells in' })
  @IsString()
  @IsIn(KLARNA_CURRENCIES, { message: 'currency must be a currency Klarna sells in (ISO 4217)' })
  currency: string;

  @ApiProperty({
    example: 129_900,
    description: 'Minor units; tax included, except USD (US: net, sales tax added as its own line)',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT)
  unitPrice: number;
}

/** `PUT /catalog/products/:reference`: the whole product (create or replace). */
export class PutProductDto {
  @ApiProperty({ example: 'Trail running shoe', maxLength: 255 })
  @IsString()
  @Length(1, 255)
  name: string;

  @ApiPropertyOptional({
    example: { 'sv-SE': 'Terränglöparsko', de: 'Traillaufschuh' },
    description: 'Names per locale or language; the default name serves the others',
  })
  @IsOptional()
  @IsLocalizedNames()
  names?: Record<string, string>;

  @ApiProperty({ enum: PRODUCT_TYPES })
  @IsIn(PRODUCT_TYPES)
  type: (typeof PRODUCT_TYPES)[number];

  @ApiProperty({ example: 'standard', description: 'Looked up with the country in the tax rates' })
  @IsString()
  @Matches(TAX_CLASS_PATTERN, { message: `taxClass ${TAX_CLASS_RULE}` })
  taxClass: string;

  @ApiPropertyOptional({ maxLength: 1024, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  @IsUrl(HTTP_URL, { message: 'imageUrl must be an http(s) URL' })
  imageUrl?: string | null;

  @ApiPropertyOptional({ maxLength: 1024, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  @IsUrl(HTTP_URL, { message: 'productUrl must be an http(s) URL' })
  productUrl?: string | null;

  @ApiPropertyOptional({ default: true, description: 'Inactive products cannot be added to carts' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, nullable: true, description: 'Largest quantity of one line' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxQuantity?: number | null;

  @ApiProperty({
    type: [PriceDto],
    description: 'One per currency; a market whose currency is missing does not sell it',
  })
  @IsArray()
  @ArrayMaxSize(KLARNA_CURRENCIES.length)
  @HasDistinctCurrencies()
  @ValidateNested({ each: true })
  @Type(() => PriceDto)
  prices: PriceDto[];
}

/** One product of an import: a `PUT` body with its reference. */
export class ImportProductDto extends PutProductDto {
  @ApiProperty({ example: 'SHOE-TRAIL-42', maxLength: 255 })
  @IsString()
  @Length(1, 255)
  @Matches(REFERENCE_PATTERN, { message: `reference ${REFERENCE_RULE}` })
  reference: string;
}

export class PatchPriceDto {
  @ApiProperty({ example: 'EUR', enum: KLARNA_CURRENCIES })
  @IsString()
  @IsIn(KLARNA_CURRENCIES, { message: 'currency must be a currency Klarna sells in (ISO 4217)' })
  currency: string;

  @ApiProperty({ example: 12_990, nullable: true, description: 'null removes the price: no longer sold there' })
  @ValidateIf((price: PatchPriceDto) => price.unitPrice !== null)
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT)
  unitPrice: number | null;
}

/** `PATCH /catalog/products/:reference`: switch a product on or off, set or remove prices per currency. */
export class PatchProductDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ type: [PatchPriceDto], description: 'Only the currencies named change' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(KLARNA_CURRENCIES.length)
  @HasDistinctCurrencies()
  @ValidateNested({ each: true })
  @Type(() => PatchPriceDto)
  prices?: PatchPriceDto[];
}

export class TaxRateDto {
  @ApiProperty({ example: 2500, description: 'Basis points (2500 = 25 %); in the US the sales-tax rate' })
  @IsInt()
  @Min(0)
  @Max(10_000)
  rate: number;
}

/** A tax rate in an import (`{ products, taxRates }`). */
export class ImportTaxRateDto extends TaxRateDto {
  @ApiProperty({ example: 'SE', enum: KLARNA_COUNTRIES })
  @IsString()
  @IsIn(KLARNA_COUNTRIES, { message: 'country must be a country Klarna sells in (ISO 3166 alpha-2)' })
  country: string;

  @ApiProperty({ example: 'standard' })
  @IsString()
  @Matches(TAX_CLASS_PATTERN, { message: `taxClass ${TAX_CLASS_RULE}` })
  taxClass: string;
}
