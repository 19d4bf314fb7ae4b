import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Length, Max, Min } from 'class-validator';

/**
 * POST /carts/:id/items: the browser says what and how many; name, type, price and tax come from the catalog. Any
 * other field (unitPrice, taxRate, name, type, totalDiscountAmount...) is refused, naming the field.
 */
export class AddCartItemDto {
  @ApiProperty({ example: 'DEMO-TRAIL-SHOE', maxLength: 255, description: "The catalog's product reference" })
  @IsString()
  @Length(1, 255)
  reference: string;

  @ApiProperty({ example: 1, minimum: 1, description: "At most the product's maxQuantity (else MAX_LINE_QUANTITY)" })
  @IsInt()
  @Min(1)
  @Max(1000)
  quantity: number;
}

/** PATCH /carts/:id/items/:itemId: only the quantity changes; the price is the catalog's. */
export class UpdateCartItemDto {
  @ApiProperty({ example: 2, minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(1000)
  quantity: number;
}
