/** The catalog's plain types, shared by both catalogs, the import and (later) the cart. */
export const PRODUCT_TYPES = ['physical', 'digital'] as const;
export type ProductType = (typeof PRODUCT_TYPES)[number];

/** A Klarna market as a cart has it: purchase country, currency and locale. */
export interface Market {
  country: string;
  currency: string;
  locale: string;
}

/** A product as a cart line in one market is priced: the catalog's word, never the browser's. */
export interface PricedProduct {
  notSoldInMarket: false;
  reference: string;
  /** Localized where the catalog has the market's locale (or its language). */
  name: string;
  type: ProductType;
  /** Minor units; tax included, except in sales-tax markets (US), where it is net. */
  unitPrice: number;
  /** Basis points for the market's country; 0 in sales-tax markets. */
  taxRate: number;
  /** Sales-tax markets only (US): basis points of the `sales_tax` line the cart adds. */
  salesTaxRate?: number;
  imageUrl: string | null;
  productUrl: string | null;
  /** The product's own limit per cart line; null: the service's MAX_LINE_QUANTITY applies. */
  maxQuantity: number | null;
}

/** The catalog has the product, but it has no price in the market's currency or no tax rate for its country. */
export interface UnsoldProduct {
  notSoldInMarket: true;
  reference: string;
}

export type CatalogEntry = PricedProduct | UnsoldProduct;

/** What `Catalog.priceItems` answers: a reference that is unknown or inactive is simply absent. */
export type PricedItems = Map<string, CatalogEntry>;

export interface PriceInput {
  currency: string;
  unitPrice: number;
}

/** A product as the import and the operations endpoints write it (create or replace). */
export interface ProductInput {
  reference: string;
  name: string;
  /** Locale ("sv-SE") or language ("sv") -> name. */
  names: Record<string, string>;
  type: ProductType;
  taxClass: string;
  imageUrl: string | null;
  productUrl: string | null;
  active: boolean;
  maxQuantity: number | null;
  prices: PriceInput[];
}

export interface ProductRecord extends ProductInput {
  id: string;
  updatedAt: Date;
}

export interface TaxRateInput {
  country: string;
  taxClass: string;
  /** Basis points. */
  rate: number;
}

/** One import: products (created or replaced whole) and tax rates. */
export interface CatalogBatch {
  products: ProductInput[];
  taxRates: TaxRateInput[];
}

export interface WriteCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ImportResult extends WriteCounts {
  /** Present when the import carried tax rates. */
  taxRates?: WriteCounts;
}

/** A product as the storefront shows it in one market. */
export interface StorefrontProduct {
  reference: string;
  name: string;
  type: ProductType;
  unitPrice: number;
  currency: string;
  taxRate: number;
  salesTaxRate?: number;
  imageUrl: string | null;
  productUrl: string | null;
  /** The largest quantity a cart line of this product accepts. */
  maxQuantity: number;
}

export interface ProductPage {
  products: StorefrontProduct[];
  nextCursor: string | null;
}
