import type { PrismaService } from '../database/prisma.service.js';
import type { Db } from '../database/sql.js';
import { Catalog } from './catalog.js';
import type { CatalogEntry, Market, PricedItems } from './catalog.types.js';
import type { CatalogRepository, MarketRow } from './catalog.repository.js';
import { localizedName, toPricedProduct } from './pricing.js';

/** The default catalog: the service's own tables, one SQL statement per pricing. */
export class PostgresCatalog extends Catalog {
  readonly source = 'postgres';

  constructor(
    private readonly prisma: PrismaService,
    private readonly repository: CatalogRepository,
  ) {
    super();
  }

  async priceItems(market: Market, references: readonly string[], db?: Db): Promise<PricedItems> {
    const unique = [...new Set(references)];
    if (unique.length === 0) return new Map();
    return pricedItemsOf(await this.repository.priceItems(db ?? this.prisma, market, unique), market);
  }
}

/** The catalog's rows for a market, by reference (the cart's hot path reads them in its own statement). */
export function pricedItemsOf(rows: readonly MarketRow[], market: Market): PricedItems {
  return new Map(rows.map((row) => [row.reference, toEntry(row, market)]));
}

/** A product sells in a market when it has a price in its currency and a tax rate for its country. */
export function toEntry(row: MarketRow, market: Market): CatalogEntry {
  if (row.unit_price === null || row.rate === null) return { notSoldInMarket: true, reference: row.reference };
  return toPricedProduct(
    {
      reference: row.reference,
      name: localizedName(row.name, row.names, market.locale),
      type: row.type,
      unitPrice: row.unit_price,
      rate: row.rate,
      imageUrl: row.image_url,
      productUrl: row.product_url,
      maxQuantity: row.max_quantity,
    },
    market,
  );
}
