import type { Db } from '../database/sql.js';
import type { Market, PricedItems } from './catalog.types.js';

/**
 * Where prices come from. One call prices a whole cart (one round trip): every reference asked for is in the
 * answer as a priced product or as `notSoldInMarket`, unless the catalog does not have it (or has it
 * switched off), in which case it is absent. `requirePricedProduct` (pricing.ts) turns an entry into the
 * cart's answer: UNKNOWN_PRODUCT or NOT_SOLD_IN_MARKET.
 *
 * Chosen at start-up (catalog.module.ts): PostgreSQL (default), or the shop's own catalog over HTTP when
 * CATALOG_URL is set, which throws CatalogUnavailableError when it is down, slow or unreadable.
 */
export abstract class Catalog {
  abstract readonly source: 'postgres' | 'http';

  /**
   * @param db the caller's transaction, when pricing inside one (PostgreSQL only; the HTTP catalog ignores
   *   it, and should be asked before a transaction that holds row locks is opened).
   */
  abstract priceItems(market: Market, references: readonly string[], db?: Db): Promise<PricedItems>;
}
