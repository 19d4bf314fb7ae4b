import { Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { withDeadline } from '../common/deadline.js';
import { CatalogUnavailableError } from '../common/errors.js';
import type { AppConfig } from '../config/app-config.js';
import { Catalog } from './catalog.js';
import type { CatalogEntry, Market, PricedItems } from './catalog.types.js';
import { readCatalogAnswer } from './remote-catalog-answer.js';

/** Marks a reference the shop's catalog did not have, so the short cache remembers that too. */
const ABSENT = { absent: true } as const;
type CachedEntry = CatalogEntry | typeof ABSENT;

/** Longest `references=` value per request: long carts are split into parallel requests, not one huge URL. */
const MAX_REFERENCES_LENGTH = 2000;
const CACHE_ENTRIES = 10_000;

/**
 * The shop's own catalog over HTTP (CATALOG_URL): `GET {CATALOG_URL}/products?references=a,b&country=&currency=&locale=`
 * with an optional bearer token, a total timeout per request and a short in-process cache per market and
 * reference. Down, slower than the timeout, a non-2xx status or an answer that fails validation: CATALOG_UNAVAILABLE.
 */
export class HttpCatalog extends Catalog {
  readonly source = 'http';
  private readonly logger = new Logger(HttpCatalog.name);
  private readonly cache: LRUCache<string, CachedEntry> | undefined;

  constructor(private readonly settings: AppConfig['catalog'] & { url: string }) {
    super();
    this.cache =
      settings.cacheMs > 0
        ? new LRUCache<string, CachedEntry>({ max: CACHE_ENTRIES, ttl: settings.cacheMs })
        : undefined;
  }

  async priceItems(market: Market, references: readonly string[]): Promise<PricedItems> {
    const items: PricedItems = new Map();
    const missing: string[] = [];
    for (const reference of new Set(references)) {
      const cached = this.cache?.get(cacheKey(market, reference));
      if (cached === undefined) missing.push(reference);
      else if (!('absent' in cached)) items.set(reference, cached);
    }
    const parts = chunk(missing);
    const answers = await Promise.all(parts.map((part) => this.fetchProducts(market, part)));
    parts.forEach((part, index) => {
      for (const reference of part) {
        const entry = answers[index].get(reference);
        this.cache?.set(cacheKey(market, reference), entry ?? ABSENT);
        if (entry) items.set(reference, entry);
      }
    });
    return items;
  }

  private async fetchProducts(market: Market, references: readonly string[]): Promise<PricedItems> {
    const url = new URL(`${this.settings.url}/products`);
    url.searchParams.set('references', references.join(','));
    url.searchParams.set('country', market.country);
    url.searchParams.set('currency', market.currency);
    url.searchParams.set('locale', market.locale);
    let status: number;
    let text: string;
    try {
      ({ status, text } = await withDeadline(this.settings.timeoutMs, async (signal) => {
        const response = await fetch(url, {
          headers: {
            accept: 'application/json',
            ...(this.settings.token ? { authorization: `Bearer ${this.settings.token}` } : {}),
          },
          redirect: 'error',
          signal,
        });
        return { status: response.status, text: await response.text() };
      }));
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      throw this.unavailable(timedOut ? 'timeout' : 'unreachable', timedOut ? undefined : (error as Error).message);
    }
    if (status < 200 || status > 299) throw this.unavailable('status', `HTTP ${status}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw this.unavailable('invalid_answer', 'the answer is not JSON');
    }
    const answer = readCatalogAnswer(body, references, market);
    if (!answer.ok) throw this.unavailable('invalid_answer', answer.problem);
    return answer.items;
  }

  private unavailable(reason: 'timeout' | 'unreachable' | 'status' | 'invalid_answer', detail?: string) {
    this.logger.warn({ event: 'catalog.unavailable', reason, detail }, "The shop's catalog could not price the items");
    const messages = {
      timeout: `The shop's catalog did not answer within ${this.settings.timeoutMs} ms`,
      unreachable: "The shop's catalog could not be reached",
      status: `The shop's catalog answered ${detail}`,
      invalid_answer: `The shop's catalog answered something unreadable: ${detail}`,
    };
    return new CatalogUnavailableError(messages[reason]);
  }
}

function cacheKey(market: Market, reference: string): string {
  return `${market.country}|${market.currency}|${market.locale}|${reference}`;
}

function chunk(references: readonly string[]): string[][] {
  const parts: string[][] = [];
  let length = Infinity;
  for (const reference of references) {
    if (length + reference.length + 1 > MAX_REFERENCES_LENGTH) {
      parts.push([]);
      length = 0;
    }
    parts[parts.length - 1].push(reference);
    length += reference.length + 1;
  }
  return parts;
}
