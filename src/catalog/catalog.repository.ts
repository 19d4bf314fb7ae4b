import { Injectable } from '@nestjs/common';
import type { PrismaTransaction } from '../database/prisma.service.js';
import { rowsOf, type Db } from '../database/sql.js';
import { Prisma } from '../generated/prisma/client.js';
import type {
  Market,
  PriceInput,
  ProductInput,
  ProductRecord,
  ProductType,
  TaxRateInput,
  WriteCounts,
} from './catalog.types.js';

/** Everything that writes the catalog takes this transaction-scoped advisory lock first, so writers queue. */
const CATALOG_WRITE_LOCK = 7_260_120_110;

/** A product's facts in one market; `unit_price` / `rate` are null when the market has no price / tax rate. */
export interface MarketRow {
  reference: string;
  name: string;
  names: Record<string, string>;
  type: ProductType;
  image_url: string | null;
  product_url: string | null;
  max_quantity: number | null;
  unit_price: number | null;
  rate: number | null;
}

interface ProductRow {
  id: string;
  reference: string;
  name: string;
  names: Record<string, string>;
  type: ProductType;
  tax_class: string;
  image_url: string | null;
  product_url: string | null;
  active: boolean;
  max_quantity: number | null;
  updated_at: Date;
  prices: PriceInput[];
}

const toProduct = (row: ProductRow): ProductRecord => ({
  id: row.id,
  reference: row.reference,
  name: row.name,
  names: row.names,
  type: row.type,
  taxClass: row.tax_class,
  imageUrl: row.image_url,
  productUrl: row.product_url,
  active: row.active,
  maxQuantity: row.max_quantity,
  prices: row.prices,
  updatedAt: row.updated_at,
});

/** The only code that touches the catalog's tables (catalog_product, catalog_price, catalog_tax_rate). */
@Injectable()
export class CatalogRepository {
  /**
   * The pricing read of the cart's hot path: one statement for any number of references. Inactive and
   * unknown references return no row.
   */
  priceItems(db: Db, market: Market, references: readonly string[]): Promise<MarketRow[]> {
    return rowsOf<MarketRow>(
      db,
      Prisma.sql`
      SELECT p.reference, p.name, p.names, p.type::text AS type, p.image_url, p.product_url, p.max_quantity,
             pr.unit_price, t.rate
      FROM catalog_product p
      LEFT JOIN catalog_price pr ON pr.product_id = p.id AND pr.currency = ${market.currency}
      LEFT JOIN catalog_tax_rate t ON t.country = ${market.country} AND t.tax_class = p.tax_class
      WHERE p.reference = ANY(${references}::text[]) AND p.active`,
    );
  }

  /** A page of what a market sells (active, priced in its currency, taxed for its country), by reference. */
  listForMarket(db: PrismaTransaction, market: Market, after: string | null, limit: number): Promise<MarketRow[]> {
    return db.$queryRaw<MarketRow[]>`
      SELECT p.reference, p.name, p.names, p.type::text AS type, p.image_url, p.product_url, p.max_quantity,
             pr.unit_price, t.rate
      FROM catalog_product p
      JOIN catalog_price pr ON pr.product_id = p.id AND pr.currency = ${market.currency}
      JOIN catalog_tax_rate t ON t.country = ${market.country} AND t.tax_class = p.tax_class
      WHERE p.active AND (${after}::text IS NULL OR p.reference > ${after}::text)
      ORDER BY p.reference
      LIMIT ${limit}`;
  }

  /** The rates of `taxClasses` in `country` (basis points), by tax class; a class without one is absent. */
  async taxRates(db: Db, country: string, taxClasses: readonly string[]): Promise<Map<string, number>> {
    if (taxClasses.length === 0) return new Map();
    const rows = await rowsOf<{ tax_class: string; rate: number }>(
      db,
      Prisma.sql`
      SELECT tax_class, rate FROM catalog_tax_rate WHERE country = ${country} AND tax_class = ANY(${[...taxClasses]}::text[])`,
    );
    return new Map(rows.map((row) => [row.tax_class, row.rate]));
  }

  async findProducts(db: PrismaTransaction, references: readonly string[]): Promise<Map<string, ProductRecord>> {
    const rows = await db.$queryRaw<ProductRow[]>`
      SELECT p.id, p.reference, p.name, p.names, p.type::text AS type, p.tax_class, p.image_url, p.product_url,
             p.active, p.max_quantity, p.updated_at,
             COALESCE((SELECT json_agg(json_build_object('currency', c.currency, 'unitPrice', c.unit_price)
                                       ORDER BY c.currency)
                       FROM catalog_price c WHERE c.product_id = p.id), '[]'::json) AS prices
      FROM catalog_product p
      WHERE p.reference = ANY(${references}::text[])`;
    return new Map(rows.map((row) => [row.reference, toProduct(row)]));
  }

  /** Serialises writers of the catalog until the transaction ends. */
  async lockForWriting(tx: PrismaTransaction): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CATALOG_WRITE_LOCK}::bigint)`;
  }

  async isEmpty(db: PrismaTransaction): Promise<boolean> {
    const [row] = await db.$queryRaw<{ empty: boolean }[]>`
      SELECT NOT EXISTS (SELECT 1 FROM catalog_product) AND NOT EXISTS (SELECT 1 FROM catalog_tax_rate) AS empty`;
    return row.empty;
  }

  /**
   * Creates or replaces products whole, prices included: three statements for any number of products
   * (the import of a large catalog stays one short transaction).
   */
  async writeProducts(tx: PrismaTransaction, products: readonly ProductInput[]): Promise<void> {
    if (products.length === 0) return;
    const rows = products.map((product) => ({
      reference: product.reference,
      name: product.name,
      names: product.names,
      type: product.type,
      tax_class: product.taxClass,
      image_url: product.imageUrl,
      product_url: product.productUrl,
      active: product.active,
      max_quantity: product.maxQuantity,
    }));
    const prices = products.flatMap((product) =>
      product.prices.map((price) => ({
        reference: product.reference,
        currency: price.currency,
        unit_price: price.unitPrice,
      })),
    );
    const references = products.map((product) => product.reference);
    await tx.$executeRaw`
      INSERT INTO catalog_product
        (id, reference, name, names, type, tax_class, image_url, product_url, active, max_quantity, updated_at)
      SELECT gen_random_uuid(), p.reference, p.name, p.names, p.type::"ProductType", p.tax_class, p.image_url,
             p.product_url, p.active, p.max_quantity, now()
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS p(reference text, name text, names jsonb,
           type text, tax_class text, image_url text, product_url text, active boolean, max_quantity int)
      ON CONFLICT (reference) DO UPDATE SET
        name = EXCLUDED.name, names = EXCLUDED.names, type = EXCLUDED.type, tax_class = EXCLUDED.tax_class,
        image_url = EXCLUDED.image_url, product_url = EXCLUDED.product_url, active = EXCLUDED.active,
        max_quantity = EXCLUDED.max_quantity, updated_at = now()`;
    await tx.$executeRaw`
      DELETE FROM catalog_price c USING catalog_product p
      WHERE c.product_id = p.id AND p.reference = ANY(${references}::text[])`;
    await tx.$executeRaw`
      INSERT INTO catalog_price (product_id, currency, unit_price)
      SELECT p.id, x.currency, x.unit_price
      FROM jsonb_to_recordset(${JSON.stringify(prices)}::jsonb) AS x(reference text, currency text, unit_price int)
      JOIN catalog_product p ON p.reference = x.reference`;
  }

  /** Sets tax rates; counts which were new, changed or already equal. */
  async writeTaxRates(tx: PrismaTransaction, taxRates: readonly TaxRateInput[]): Promise<WriteCounts> {
    const counts: WriteCounts = { created: 0, updated: 0, unchanged: 0 };
    for (const taxRate of taxRates) {
      const [row] = await tx.$queryRaw<{ created: boolean }[]>`
        INSERT INTO catalog_tax_rate (country, tax_class, rate, updated_at)
        VALUES (${taxRate.country}, ${taxRate.taxClass}, ${taxRate.rate}, now())
        ON CONFLICT (country, tax_class) DO UPDATE SET rate = EXCLUDED.rate, updated_at = now()
          WHERE catalog_tax_rate.rate <> EXCLUDED.rate
        RETURNING (xmax = 0) AS created`;
      if (!row) counts.unchanged += 1;
      else if (row.created) counts.created += 1;
      else counts.updated += 1;
    }
    return counts;
  }
}
