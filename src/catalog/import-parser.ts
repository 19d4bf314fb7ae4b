import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CsvError, parse } from 'csv-parse/sync';
import type { FieldError } from '../common/errors.js';
import { flattenValidationErrors } from '../common/validation.js';
import type { CatalogBatch, ProductInput, TaxRateInput } from './catalog.types.js';
import { ImportProductDto, ImportTaxRateDto } from './dto/product.dto.js';
import { checkProductLimits } from './pricing.js';

/**
 * The catalog import's parsing and validation, pure: every row is checked before anything is written, and
 * any bad row refuses the whole import. Rows are validated by the operations endpoints' own DTO classes.
 *
 * - JSON: an array of products (`row` = index in the array), or `{ products, taxRates }`.
 * - CSV: one row per product and currency (`row` = line in the file, the header being line 1).
 */
export type ImportParseResult = { ok: true; batch: CatalogBatch } | { ok: false; errors: FieldError[] };

const VALIDATE_OPTIONS = { whitelist: true, forbidNonWhitelisted: true } as const;

export function parseJsonImport(body: unknown, maxLineQuantity: number): ImportParseResult {
  let products: unknown;
  let taxRates: unknown = [];
  if (Array.isArray(body)) {
    products = body;
  } else if (
    isObject(body) &&
    Object.keys(body).length > 0 &&
    Object.keys(body).every((key) => key === 'products' || key === 'taxRates')
  ) {
    products = body.products ?? [];
    taxRates = body.taxRates ?? [];
  }
  if (!Array.isArray(products) || !Array.isArray(taxRates)) {
    return refused([{ field: 'body', message: 'must be a JSON array of products, or { products, taxRates }' }]);
  }
  const errors: FieldError[] = [];
  const batch: CatalogBatch = { products: [], taxRates: [] };
  const rowOfReference = new Map<string, number>();
  products.forEach((element, row) => {
    const product = validateProduct(element, maxLineQuantity);
    if (!product.ok) return errors.push(...product.errors.map((error) => ({ row, ...error })));
    const first = rowOfReference.get(product.value.reference);
    if (first !== undefined) return errors.push({ row, field: 'reference', message: `duplicates row ${first}` });
    rowOfReference.set(product.value.reference, row);
    batch.products.push(product.value);
  });
  const rowOfTaxRate = new Map<string, number>();
  taxRates.forEach((element, row) => {
    const taxRate = validateTaxRate(element);
    const prefix = `taxRates[${row}]`;
    if (!taxRate.ok)
      return errors.push(...taxRate.errors.map((error) => ({ row, ...error, field: `${prefix}.${error.field}` })));
    const key = `${taxRate.value.country}/${taxRate.value.taxClass}`;
    const first = rowOfTaxRate.get(key);
    if (first !== undefined)
      return errors.push({ row, field: `${prefix}.taxClass`, message: `duplicates taxRates[${first}]` });
    rowOfTaxRate.set(key, row);
    batch.taxRates.push(taxRate.value);
  });
  return errors.length > 0 ? refused(errors) : { ok: true, batch };
}

const CSV_PRODUCT_COLUMNS = [
  'reference',
  'name',
  'type',
  'taxClass',
  'imageUrl',
  'productUrl',
  'active',
  'maxQuantity',
];
const CSV_PRICE_COLUMNS = ['currency', 'unitPrice'];
const CSV_REQUIRED_COLUMNS = ['reference', 'name', 'type', 'taxClass', 'currency', 'unitPrice'];
const CSV_NAME_COLUMN = /^name:([a-z]{2,3}(?:-[A-Z]{2})?)$/;

interface CsvRow {
  line: number;
  cells: Record<string, string>;
}

export function parseCsvImport(text: string, maxLineQuantity: number): ImportParseResult {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, trim: true, skipEmptyLines: true, info: true }) as unknown as typeof records;
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      return refused([{ row: line, field: 'body', message: `is not readable CSV: ${error.message}` }]);
    }
    throw error;
  }
  const [header, ...rows] = records;
  if (!header) return refused([{ row: 1, field: 'body', message: 'must have a header line and product rows' }]);
  const headerErrors = checkCsvHeader(header.record);
  if (headerErrors.length > 0) return refused(headerErrors);

  const errors: FieldError[] = [];
  // The first row of a reference gives the product; each row adds its price (priceLines[k]: line of prices[k]).
  const byReference = new Map<string, { first: CsvRow; product: ProductInput; priceLines: number[] }>();
  const comparedColumns = CSV_PRODUCT_COLUMNS.concat(header.record.filter((column) => CSV_NAME_COLUMN.test(column)));
  for (const { record, info } of rows) {
    const row: CsvRow = {
      line: info.lines,
      cells: Object.fromEntries(header.record.map((column, index) => [column, record[index]])),
    };
    const product = validateProduct(csvRowToProduct(row.cells), maxLineQuantity, false);
    if (!product.ok) {
      errors.push(...product.errors.map((error) => ({ row: row.line, ...error, field: csvField(error.field, row) })));
      continue;
    }
    const [price] = product.value.prices;
    const group = byReference.get(product.value.reference);
    if (!group) {
      byReference.set(product.value.reference, {
        first: row,
        product: product.value,
        priceLines: price ? [row.line] : [],
      });
      continue;
    }
    const differing = comparedColumns.find((column) => (group.first.cells[column] ?? '') !== (row.cells[column] ?? ''));
    const samePrice = price ? group.product.prices.findIndex((other) => other.currency === price.currency) : -1;
    if (differing) {
      errors.push({
        row: row.line,
        field: differing,
        message: `differs from line ${group.first.line} of the same reference`,
      });
    } else if (samePrice >= 0) {
      errors.push({ row: row.line, field: 'currency', message: `duplicates line ${group.priceLines[samePrice]}` });
    } else if (price) {
      group.product.prices.push(price);
      group.priceLines.push(row.line);
    }
  }
  const batch: CatalogBatch = { products: [], taxRates: [] };
  for (const { first, product, priceLines } of byReference.values()) {
    for (const error of checkProductLimits(product, maxLineQuantity)) {
      const index = Number(/^prices\[(\d+)\]/.exec(error.field)?.[1]);
      errors.push({ row: priceLines[index] ?? first.line, field: 'unitPrice', message: error.message });
    }
    batch.products.push(product);
  }
  errors.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  return errors.length > 0 ? refused(errors) : { ok: true, batch };
}

function checkCsvHeader(columns: string[]): FieldError[] {
  const errors: FieldError[] = [];
  const known = new Set([...CSV_PRODUCT_COLUMNS, ...CSV_PRICE_COLUMNS]);
  columns.forEach((column, index) => {
    if (!known.has(column) && !CSV_NAME_COLUMN.test(column))
      errors.push({ row: 1, field: column, message: 'is not a known column' });
    else if (columns.indexOf(column) !== index) errors.push({ row: 1, field: column, message: 'appears twice' });
  });
  for (const column of CSV_REQUIRED_COLUMNS) {
    if (!columns.includes(column)) errors.push({ row: 1, field: column, message: 'is a required column' });
  }
  return errors;
}

/** A CSV row in the JSON import's shape; empty cells are absent, numbers and booleans are read if they are ones. */
function csvRowToProduct(cells: Record<string, string>): Record<string, unknown> {
  const optional = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);
  const integer = (value: string | undefined) =>
    value !== undefined && /^-?\d{1,15}$/.test(value) ? Number(value) : optional(value);
  const active = optional(cells.active);
  const names = Object.fromEntries(
    Object.entries(cells).flatMap(([column, value]) => {
      const locale = CSV_NAME_COLUMN.exec(column)?.[1];
      return locale && value !== '' ? [[locale, value]] : [];
    }),
  );
  const hasPrice = cells.currency !== '' || cells.unitPrice !== '';
  return {
    reference: cells.reference,
    name: cells.name,
    names,
    type: cells.type,
    taxClass: cells.taxClass,
    imageUrl: optional(cells.imageUrl),
    productUrl: optional(cells.productUrl),
    active: active === 'true' ? true : active === 'false' ? false : active,
    maxQuantity: integer(cells.maxQuantity),
    prices: hasPrice ? [{ currency: cells.currency, unitPrice: integer(cells.unitPrice) }] : [],
  };
}

/** A DTO field path as the CSV column it came from. */
function csvField(field: string, row: CsvRow): string {
  const price = /^prices\[\d+\]\.(\w+)$/.exec(field);
  if (price) return price[1];
  if (field === 'prices') return 'currency';
  if (field === 'names') {
    const tooLong = Object.keys(row.cells).find(
      (column) => CSV_NAME_COLUMN.test(column) && row.cells[column].length > 255,
    );
    return tooLong ?? 'name:*';
  }
  return field;
}

type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

function validateProduct(element: unknown, maxLineQuantity: number, checkLimits = true): Validated<ProductInput> {
  if (!isObject(element)) return { ok: false, errors: [{ field: 'body', message: 'must be a product object' }] };
  const dto = plainToInstance(ImportProductDto, element);
  const errors = flattenValidationErrors(validateSync(dto, VALIDATE_OPTIONS));
  if (errors.length > 0) return { ok: false, errors };
  const product: ProductInput = {
    reference: dto.reference,
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
  const limitErrors = checkLimits ? checkProductLimits(product, maxLineQuantity) : [];
  return limitErrors.length > 0 ? { ok: false, errors: limitErrors } : { ok: true, value: product };
}

function validateTaxRate(element: unknown): Validated<TaxRateInput> {
  if (!isObject(element)) return { ok: false, errors: [{ field: 'body', message: 'must be a tax rate object' }] };
  const dto = plainToInstance(ImportTaxRateDto, element);
  const errors = flattenValidationErrors(validateSync(dto, VALIDATE_OPTIONS));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { country: dto.country, taxClass: dto.taxClass, rate: dto.rate } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refused(errors: FieldError[]): ImportParseResult {
  return { ok: false, errors };
}
