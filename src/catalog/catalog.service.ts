import { Injectable, Logger } from '@nestjs/common';
import {
  CatalogExternalError,
  NotFoundError,
  NotSoldInMarketError,
  ValidationFailedError,
  type FieldError,
} from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { PrismaService, type PrismaTransaction } from '../database/prisma.service.js';
import type { Db } from '../database/sql.js';
import { checkMarket, KLARNA_MARKETS } from '../klarna/klarna-markets.js';
import { Catalog } from './catalog.js';
import { CatalogRepository } from './catalog.repository.js';
import type {
  CatalogBatch,
  ImportResult,
  Market,
  ProductInput,
  ProductPage,
  ProductRecord,
  StorefrontProduct,
  TaxRateInput,
} from './catalog.types.js';
import type { PatchProductDto, PutProductDto } from './dto/product.dto.js';
import { countsOf, planImport } from './import-plan.js';
import { parseCsvImport, parseJsonImport } from './import-parser.js';
import { toEntry } from './postgres-catalog.js';
import { checkProductLimits, decodeCursor, encodeCursor, toStorefrontProduct } from './pricing.js';

export const DEFAULT_PAGE_SIZE = 20;

/** A product as the operations endpoints answer it. */
export type ProductView = Omit<ProductRecord, 'id'>;

/**
 * The catalog's use cases: what the storefront shows, and what operations change (the PostgreSQL catalog
 * only: with CATALOG_URL set the shop's own catalog is the truth and these answer CATALOG_EXTERNAL).
 */
@Injectable()
export class CatalogService {
  private readonly logger = new Logger(CatalogService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly repository: CatalogRepository,
    private readonly catalog: Catalog,
    private readonly config: AppConfig,
  ) {}

  async listProducts(market: Market, cursor: string | undefined, limit = DEFAULT_PAGE_SIZE): Promise<ProductPage> {
    requireKlarnaMarket(market);
    const after = cursor === undefined ? null : decodeCursor(cursor);
    if (after === undefined)
      throw new ValidationFailedError([{ field: 'cursor', message: 'is not a cursor of this list' }]);
    this.requireOwnCatalog('The storefront lists products from the shop’s own catalog (CATALOG_URL)');
    const rows = await this.repository.listForMarket(this.prisma, market, after, limit + 1);
    const page = rows.slice(0, limit);
    const products = page.flatMap((row) => {
      const entry = toEntry(row, market);
      return entry.notSoldInMarket ? [] : [toStorefrontProduct(entry, market.currency, this.config.maxLineQuantity)];
    });
    return { products, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].reference) : null };
  }

  /** One product for the storefront, priced by the configured catalog (PostgreSQL or the shop's own). */
  async getProduct(reference: string, market: Market): Promise<StorefrontProduct> {
    requireKlarnaMarket(market);
    const entry = (await this.catalog.priceItems(market, [reference])).get(reference);
    if (!entry)
      throw new NotFoundError('PRODUCT_NOT_FOUND', `Product ${JSON.stringify(reference)} is not in the catalog`);
    if (entry.notSoldInMarket) throw new NotSoldInMarketError(reference, market.country, market.currency);
    return toStorefrontProduct(entry, market.currency, this.config.maxLineQuantity);
  }

  /** Create (created: true) or replace a product whole. */
  async putProduct(reference: string, dto: PutProductDto): Promise<{ created: boolean; product: ProductView }> {
    this.requireOwnCatalog();
    const product: ProductInput = {
      reference,
      name: dto.name,
      names: dto.names ?? {},
      type: dto.type,
      taxClass: dto.taxClass,
      imageUrl: dto.imageUrl ?? null,
      productUrl: dto.productUrl ?? null,
      active: dto.active ?? true,
      maxQuantity: dto.maxQuantity ?? null,
      prices: dto.prices.map((price) => ({ currency: price.currency, unitPrice: price.unitPrice })),
    };
    this.requireWithinKlarnaLimits(product);
    return this.prisma.$transaction(async (tx) => {
      await this.repository.lockForWriting(tx);
      const plan = planImport(await this.repository.findProducts(tx, [reference]), [product]);
      await this.repository.writeProducts(tx, [...plan.toCreate, ...plan.toReplace]);
      return { created: plan.toCreate.length > 0, product: await this.readProduct(tx, reference) };
    });
  }

  /** Switch a product on or off, set or remove prices of the currencies named. */
  async patchProduct(reference: string, dto: PatchProductDto): Promise<ProductView> {
    this.requireOwnCatalog();
    return this.prisma.$transaction(async (tx) => {
      await this.repository.lockForWriting(tx);
      const stored = (await this.repository.findProducts(tx, [reference])).get(reference);
      if (!stored)
        throw new NotFoundError('PRODUCT_NOT_FOUND', `Product ${JSON.stringify(reference)} is not in the catalog`);
      const prices = new Map(stored.prices.map((price) => [price.currency, price.unitPrice]));
      for (const price of dto.prices ?? []) {
        if (price.unitPrice === null) prices.delete(price.currency);
        else prices.set(price.currency, price.unitPrice);
      }
      const product: ProductInput = {
        ...stored,
        active: dto.active ?? stored.active,
        prices: [...prices].map(([currency, unitPrice]) => ({ currency, unitPrice })),
      };
      this.requireWithinKlarnaLimits(product);
      await this.repository.writeProducts(tx, [product]);
      return this.readProduct(tx, reference);
    });
  }

  /**
   * The rates of `taxClasses` in `country` from the catalog's tax table (also with CATALOG_URL: shipping methods
   * are taxed from it), by tax class.
   */
  taxRates(db: Db, country: string, taxClasses: readonly string[]): Promise<Map<string, number>> {
    return this.repository.taxRates(db, country, taxClasses);
  }

  /** Also with CATALOG_URL: the shop's catalog prices products, but shipping methods are taxed from this table. */
  async putTaxRate(taxRate: TaxRateInput): Promise<{ created: boolean; taxRate: TaxRateInput }> {
    if (!KLARNA_MARKETS[taxRate.country]) {
      throw new ValidationFailedError([{ field: 'country', message: 'must be a country Klarna sells in' }]);
    }
    const counts = await this.prisma.$transaction(async (tx) => {
      await this.repository.lockForWriting(tx);
      return this.repository.writeTaxRates(tx, [taxRate]);
    });
    return { created: counts.created > 0, taxRate };
  }

  /** `POST /catalog/import` and `npm run catalog:import`: a JSON array (or `{ products, taxRates }`) or CSV. */
  async importCatalog(body: unknown, format: 'json' | 'csv'): Promise<ImportResult> {
    this.requireOwnCatalog();
    const parsed =
      format === 'csv'
        ? parseCsvImport(typeof body === 'string' ? body : '', this.config.maxLineQuantity)
        : parseJsonImport(body, this.config.maxLineQuantity);
    if (!parsed.ok) throw new ValidationFailedError(parsed.errors);
    return this.importBatch(parsed.batch);
  }

  /** All or nothing: one transaction; only products that differ from what is stored are written. */
  async importBatch(batch: CatalogBatch): Promise<ImportResult> {
    const result = await this.prisma.$transaction((tx) => this.writeBatch(tx, batch), { timeout: 60_000 });
    this.logger.log({ event: 'catalog.imported', ...result }, 'Catalog imported');
    return result;
  }

  /** Development: fills an empty catalog with the demo data, through the same import (false: not empty). */
  async seedIfEmpty(batch: CatalogBatch): Promise<ImportResult | undefined> {
    return this.prisma.$transaction(async (tx) => {
      await this.repository.lockForWriting(tx);
      if (!(await this.repository.isEmpty(tx))) return undefined;
      return this.writeBatch(tx, batch);
    });
  }

  private async writeBatch(tx: PrismaTransaction, batch: CatalogBatch): Promise<ImportResult> {
    await this.repository.lockForWriting(tx);
    const existing = await this.repository.findProducts(
      tx,
      batch.products.map((product) => product.reference),
    );
    const plan = planImport(existing, batch.products);
    await this.repository.writeProducts(tx, [...plan.toCreate, ...plan.toReplace]);
    const result: ImportResult = countsOf(plan);
    if (batch.taxRates.length > 0) result.taxRates = await this.repository.writeTaxRates(tx, batch.taxRates);
    return result;
  }

  private async readProduct(tx: PrismaTransaction, reference: string): Promise<ProductView> {
    const { id: _id, ...product } = (await this.repository.findProducts(tx, [reference])).get(reference)!;
    return product;
  }

  private requireWithinKlarnaLimits(product: ProductInput): void {
    const errors = checkProductLimits(product, this.config.maxLineQuantity);
    if (errors.length > 0) throw new ValidationFailedError(errors);
  }

  private requireOwnCatalog(message = 'The catalog is the shop’s own (CATALOG_URL): manage it there'): void {
    if (this.catalog.source !== 'postgres') throw new CatalogExternalError(message);
  }
}

/** Only markets Klarna sells in: a 400 naming the first field Klarna would refuse. */
export function requireKlarnaMarket(market: Market): void {
  const problem = checkMarket(market.country, market.currency, market.locale);
  if (!problem) return;
  const known = KLARNA_MARKETS[market.country];
  const errors: Record<typeof problem, FieldError> = {
    purchase_country: { field: 'country', message: 'is not a country Klarna sells in' },
    purchase_currency: { field: 'currency', message: `must be ${known?.currency} in ${market.country}` },
    locale: { field: 'locale', message: `must be one of ${known?.locales.join(', ')} in ${market.country}` },
  };
  throw new ValidationFailedError([errors[problem]]);
}
