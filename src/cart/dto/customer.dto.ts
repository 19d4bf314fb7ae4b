import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, Length, Matches, MaxLength, ValidateNested } from 'class-validator';

/** Klarna's address fields in camelCase (Klarna Payments `address`: most fields up to 99 characters). */
export class AddressDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(20) title?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) givenName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) familyName?: string;
  @ApiPropertyOptional() @IsOptional() @IsEmail() @MaxLength(99) email?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(5, 99) phone?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) streetAddress?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) streetAddress2?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(10) postalCode?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) city?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) region?: string;
  @ApiPropertyOptional({ example: 'SE' })
  @IsOptional()
  @Matches(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 country code' })
  country?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) organizationName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) attention?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) careOf?: string;
}

export class CustomerDto {
  @ApiPropertyOptional({ example: '1980-01-31' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date such as 1980-01-31' })
  dateOfBirth?: string;
  @ApiPropertyOptional() @IsOptional() @IsIn(['male', 'female']) gender?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(20) title?: string;
  @ApiPropertyOptional({ enum: ['person', 'organization'] })
  @IsOptional()
  @IsIn(['person', 'organization'])
  type?: 'person' | 'organization';
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) organizationRegistrationId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(99) vatId?: string;
}

/** Sent only after the shopper chose Klarna and consented to share their data with Klarna. */
export class PutCustomerDto {
  @ApiPropertyOptional({ type: AddressDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AddressDto)
  billingAddress?: AddressDto;

  @ApiPropertyOptional({ type: AddressDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AddressDto)
  shippingAddress?: AddressDto;

  @ApiPropertyOptional({ type: CustomerDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CustomerDto)
  customer?: CustomerDto;
}
