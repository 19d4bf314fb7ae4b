import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Length, Max, MaxLength, Min, validateSync } from 'class-validator';
import { MAX_AMOUNT } from '../cart/order-lines.js';
import { flattenValidationErrors } from '../common/validation.js';
import { PRODUCT_TYPES, type Market, type PricedItems, type ProductType } from './catalog.types.js';
import { toPricedProduct } from './pricing.js';

/**
 * The answer of a shop's own catalog (`GET {CATALOG_URL}/products?references=a,b&country&currency&locale`),
 * checked before it is trusted: the same limits as our own catalog (Klarna's order line, FACTS §4).
 * Fields we do not know are ignored; a product we did not ask for is ignored; anything else that is off
 * refuses the whole answer (the caller answers CATALOG_UNAVAILABLE rather than a wrong price).
 */
class RemoteProductDto {
  @IsString() @Length(1, 255) reference: string;
  @IsString() @Length(1, 255) name: string;
  @IsIn(PRODUCT_TYPES) type: ProductType;
  @IsInt() @Min(0) @Max(MAX_AMOUNT) unitPrice: number;
  @IsInt() @Min(0) @Max(10_000) taxRate: number;
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  imageUrl?: string | null;
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  productUrl?: string | null;
  @IsOptional() @IsInt() @Min(1) @Max(1000) maxQuantity?: number | null;
}

export type CatalogAnswer = { ok: true; items: PricedItems } | { ok: false; problem: string };

export function readCatalogAnswer(body: unknown, requested: readonly string[], market: Market): CatalogAnswer {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { products?: unknown }).products)) {
    return { ok: false, problem: 'the answer is not { products: [...] }' };
  }
  const { products, notSoldInMarket = [] } = body as { products: unknown[]; notSoldInMarket?: unknown };
  if (!Array.isArray(notSoldInMarket) || !notSoldInMarket.every((reference) => typeof reference === 'string')) {
    return { ok: false, problem: 'notSoldInMarket is not a list of references' };
  }
  const wanted = new Set(requested);
  const items: PricedItems = new Map();
  for (const [index, element] of products.entries()) {
    if (typeof element !== 'object' || element === null || Array.isArray(element)) {
      return { ok: false, problem: `products[${index}] is not an object` };
    }
    const dto = plainToInstance(RemoteProductDto, element);
    const [error] = flattenValidationErrors(validateSync(dto, { whitelist: true }));
    if (error) return { ok: false, problem: `products[${index}].${error.field} ${error.message}` };
    if (!wanted.has(dto.reference)) continue;
    if (items.has(dto.reference)) return { ok: false, problem: `products[${index}].reference is a duplicate` };
    items.set(
      dto.reference,
      toPricedProduct(
        {
          reference: dto.reference,
          name: dto.name,
          type: dto.type,
          unitPrice: dto.unitPrice,
          // In a sales-tax market (US) the shop's taxRate is the sales-tax rate of its net prices.
          rate: dto.taxRate,
          imageUrl: dto.imageUrl ?? null,
          productUrl: dto.productUrl ?? null,
          maxQuantity: dto.maxQuantity ?? null,
        },
        market,
      ),
    );
  }
  for (const reference of notSoldInMarket as string[]) {
    if (wanted.has(reference) && !items.has(reference)) items.set(reference, { notSoldInMarket: true, reference });
  }
  return { ok: true, items };
}
