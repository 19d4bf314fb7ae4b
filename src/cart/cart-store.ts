import type pg from 'pg';
import { isUuidText, rowsOfNamed, type Db } from '../database/sql.js';
import { beginWith, inTransaction } from '../database/transaction.js';
import type { MarketRow } from '../catalog/catalog.repository.js';
import type { DiscountCodeRecord } from '../discount/discount-rules.js';
import type { LiveSession, SessionWritten } from '../klarna-session/klarna-cart-state.js';
import { toMethod, type MethodRow } from '../shipping/shipping.repository.js';
import type { ShippingMethodRecord } from '../shipping/shipping-rules.js';
import { toCart, type CartRow } from './cart.repository.js';
import { CART_STORE_SQL as SQL, writeParameters, type CartWrite } from './cart-store.sql.js';
import type { CartItemRecord, CartRecord } from './cart.types.js';

/*
 * The cart's hot path in plain SQL on node-postgres, over the pool Prisma's adapter uses (issue 14). A read is one
 * statement; a change is one transaction of at most four round trips:
 *   1. BEGIN and the cart's row lock, sent as one simple query;
 *   2. everything the change is priced from, in one statement read under the lock (cart, items, live session,
 *      newest authorization, catalog prices, shipping method, discount code);
 *   3. everything it writes, in one statement (items, cart, session, stale authorizations), after the Klarna push;
 *   4. COMMIT.
 * A change that changes nothing skips 3 and calls no Klarna. Prisma stays the schema and the client everywhere
 * else; here its client runtime cost more CPU than the statements themselves (README, Performance).
 */

interface ReadRow extends CartRow {
  items: CartItemRecord[];
  session: (Omit<LiveSession, 'expiresAt'> & { expiresAt: string }) | null;
  latest_authorization_status: string | null;
}

interface ChangeRow extends ReadRow {
  prices: MarketRow[] | null;
  shipping_method: (MethodRow & { rate: number | null }) | null;
  discount: JsonCode | null;
}

export interface CartRead {
  cart: CartRecord;
  items: CartItemRecord[];
  /** The cart's live Klarna session. */
  session: LiveSession | null;
  latestAuthorizationStatus: string | null;
}

export interface ChangeSnapshot extends CartRead {
  /** The catalog's rows for the cart's items and the requested references, in the cart's market; null: not read. */
  prices: MarketRow[] | null;
  /** The chosen (or the cart's) shipping method, with its tax rate in the cart's country. */
  shippingMethod: { method: ShippingMethodRecord; rate: number | undefined } | null;
  discountCode: DiscountCodeRecord | null;
}

export interface ChangeHints {
  references: readonly string[];
  catalogInDatabase: boolean;
  shippingMethodId: string | null;
  discountCodeKey: string | null;
}

/** GET /carts/:id: one statement. */
export async function readCart(pool: pg.Pool, cartId: string): Promise<CartRead | null> {
  const { rows } = await pool.query<ReadRow>({ name: 'cart.read', text: SQL.read, values: [cartId] });
  return rows[0] ? toRead(rows[0]) : null;
}

/**
 * Opens the change's transaction and takes the cart's row lock in one round trip: a simple query can carry both,
 * but no parameters, so the id goes in as a literal (checked to be a UUID first). False: no such cart.
 */
async function beginCartChange(client: pg.PoolClient, cartId: string): Promise<boolean> {
  if (!isUuidText(cartId)) {
    await client.query('BEGIN');
    return false;
  }
  const locked = await beginWith(
    client,
    `SELECT 1 FROM cart WHERE id = ${client.escapeLiteral(cartId)}::uuid FOR UPDATE`,
  );
  return locked.rowCount === 1;
}

/** Everything a change is priced from, read under the cart's row lock (so nothing in it can move meanwhile). */
export async function readForChange(db: Db, cartId: string, hints: ChangeHints): Promise<ChangeSnapshot | null> {
  const [row] = await rowsOfNamed<ChangeRow>(db, {
    name: 'cart.read-for-change',
    text: SQL.readForChange,
    values: [cartId, hints.references, hints.catalogInDatabase, hints.shippingMethodId, hints.discountCodeKey],
  });
  if (!row) return null;
  const shipping = row.shipping_method;
  return {
    ...toRead(row),
    prices: row.prices,
    shippingMethod: shipping ? { method: toMethod(shipping), rate: shipping.rate ?? undefined } : null,
    discountCode: row.discount === null ? null : toDiscountCode(row.discount),
  };
}

/** The cart's row lock, inside a transaction already open (order placement, session opening); false: no cart. */
export async function lockCart(db: Db, cartId: string): Promise<boolean> {
  const rows = await rowsOfNamed(db, {
    name: 'cart.lock',
    text: 'SELECT 1 FROM cart WHERE id = $1::uuid FOR UPDATE',
    values: [cartId],
  });
  return rows.length === 1;
}

/** Everything a change writes, in one statement; returns what the session write found (see settledState). */
export async function writeCartChange(db: Db, change: CartWrite): Promise<SessionWritten> {
  const [row] = await rowsOfNamed<{ staled: number; latest_status: string | null }>(db, {
    name: 'cart.write',
    text: SQL.write,
    values: writeParameters(change),
  });
  return { staled: row.staled, latestStatus: row.latest_status };
}

function toRead(row: ReadRow): CartRead {
  return {
    cart: toCart(row),
    items: row.items,
    session: row.session && { ...row.session, expiresAt: new Date(row.session.expiresAt) },
    latestAuthorizationStatus: row.latest_authorization_status,
  };
}

type JsonCode = Omit<DiscountCodeRecord, 'validFrom' | 'validUntil'> & {
  validFrom: string | null;
  validUntil: string | null;
};

function toDiscountCode(code: JsonCode): DiscountCodeRecord {
  return {
    ...code,
    validFrom: code.validFrom === null ? null : new Date(code.validFrom),
    validUntil: code.validUntil === null ? null : new Date(code.validUntil),
  };
}

/**
 * Runs a change in its own transaction (inTransaction) whose BEGIN also takes the cart's row lock (beginCartChange).
 * No such cart: `found` is false (a read finds none, and `run` throws CART_NOT_FOUND).
 */
export function inCartChange<T>(
  pool: pg.Pool,
  cartId: string,
  run: (client: pg.PoolClient, found: boolean) => Promise<T>,
): Promise<T> {
  let found = false;
  return inTransaction(
    pool,
    (client) => run(client, found),
    async (client) => (found = await beginCartChange(client, cartId)),
  );
}
