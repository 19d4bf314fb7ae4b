import type pg from 'pg';
import { closedByShutdown } from '../database/prisma.service.js';
import { rowsOfNamed, type Db } from '../database/sql.js';
import type { MarketRow } from '../catalog/catalog.repository.js';
import type { DiscountCodeRecord } from '../discount/discount-rules.js';
import type { KlarnaSession } from '../generated/prisma/client.js';
import type { SessionWrite, SessionWritten } from '../klarna-session/klarna-cart-state.js';
import { toMethod, type MethodRow } from '../shipping/shipping.repository.js';
import type { ShippingMethodRecord } from '../shipping/shipping-rules.js';
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const CART_COLUMNS = `c.id, c.status::text AS status, c.version, c.purchase_country, c.purchase_currency, c.locale,
  c.customer, c.shipping_method_id, c.shipping_line, c.discount_code, c.discount_lines`;

const ITEMS = `COALESCE((
    SELECT json_agg(json_build_object('id', i.id, 'reference', i.reference, 'name', i.name, 'type', i.type,
      'quantity', i.quantity, 'quantityUnit', i.quantity_unit, 'unitPrice', i.unit_price, 'taxRate', i.tax_rate,
      'salesTaxRate', i.sales_tax_rate, 'totalDiscountAmount', i.total_discount_amount, 'imageUrl', i.image_url,
      'productUrl', i.product_url, 'position', i.position) ORDER BY i.position)
    FROM cart_item i WHERE i.cart_id = c.id), '[]'::json) AS items`;

const SESSION = `(
    SELECT json_build_object('id', s.id, 'cartId', s.cart_id, 'sessionId', s.session_id,
      'clientToken', s.client_token, 'paymentMethodCategories', s.payment_method_categories,
      'status', s.status, 'purchaseCountry', s.purchase_country, 'purchaseCurrency', s.purchase_currency,
      'expiresAt', s.expires_at, 'syncedVersion', s.synced_version, 'syncedPayloadHash', s.synced_payload_hash,
      'lastSyncError', s.last_sync_error, 'lastCorrelationId', s.last_correlation_id, 'live', s.live,
      'pushOutcomeUnknown', s.push_outcome_unknown, 'intent', s.intent, 'createdAt', s.created_at,
      'updatedAt', s.updated_at)
    FROM klarna_session s WHERE s.cart_id = c.id AND s.live) AS session`;

const LATEST_AUTHORIZATION = `(
    SELECT a.status::text FROM klarna_authorization a WHERE a.cart_id = c.id
    ORDER BY a.created_at DESC LIMIT 1) AS latest_authorization_status`;

const SQL = {
  read: `SELECT ${CART_COLUMNS}, ${ITEMS}, ${SESSION}, ${LATEST_AUTHORIZATION} FROM cart c WHERE c.id = $1::uuid`,

  /**
   * $2: references priced besides the cart's own (the one being added); $3: whether the catalog is this database;
   * $4 / $5: the shipping method / discount code key the request chose, else the cart's.
   */
  readForChange: `SELECT ${CART_COLUMNS}, ${ITEMS}, ${SESSION}, ${LATEST_AUTHORIZATION},
    CASE WHEN $3::boolean THEN COALESCE((
      SELECT json_agg(json_build_object('reference', p.reference, 'name', p.name, 'names', p.names,
        'type', p.type, 'image_url', p.image_url, 'product_url', p.product_url, 'max_quantity', p.max_quantity,
        'unit_price', pr.unit_price, 'rate', t.rate))
      FROM catalog_product p
      LEFT JOIN catalog_price pr ON pr.product_id = p.id AND pr.currency = c.purchase_currency
      LEFT JOIN catalog_tax_rate t ON t.country = c.purchase_country AND t.tax_class = p.tax_class
      WHERE p.active
        AND p.reference = ANY(ARRAY(SELECT i.reference FROM cart_item i WHERE i.cart_id = c.id) || $2::text[])
    ), '[]'::json) END AS prices,
    (SELECT json_build_object('id', m.id, 'name', m.name, 'countries', m.countries, 'prices', m.prices,
       'freeOver', m.free_over, 'taxClass', m.tax_class, 'deliveryEstimate', m.delivery_estimate,
       'active', m.active, 'rate', t.rate)
     FROM shipping_method m
     LEFT JOIN catalog_tax_rate t ON t.country = c.purchase_country AND t.tax_class = m.tax_class
     WHERE m.id = COALESCE($4, c.shipping_method_id)) AS shipping_method,
    (SELECT json_build_object('code', d.code, 'kind', d.kind, 'percent', d.percent, 'amounts', d.amounts,
       'minOrder', d.min_order, 'appliesTo', d.applies_to, 'validFrom', d.valid_from, 'validUntil', d.valid_until,
       'maxRedemptions', d.max_redemptions, 'redeemedCount', d.redeemed_count, 'active', d.active)
     FROM discount_code d WHERE d.code_key = COALESCE($5, lower(btrim(c.discount_code)))) AS discount
    FROM cart c WHERE c.id = $1::uuid`,

  /**
   * $2 item ids removed, $3 items written (new or changed, JSON), $4 whether the cart's own columns and version
   * change ($5..$12), $13 the session row, $14 whether the cart was pushed to Klarna now (its active
   * authorizations go stale), $15..$17 what the session then holds.
   */
  write: `WITH removed AS (
      DELETE FROM cart_item WHERE cart_id = $1::uuid AND id = ANY($2::uuid[])
    ), written AS (
      INSERT INTO cart_item (id, cart_id, reference, name, type, quantity, quantity_unit, unit_price, tax_rate,
                             sales_tax_rate, total_discount_amount, image_url, product_url, position)
      SELECT line.id, $1::uuid, line.reference, line.name, line.type, line.quantity, line.quantity_unit,
             line.unit_price, line.tax_rate, line.sales_tax_rate, line.total_discount_amount, line.image_url,
             line.product_url, line.position
      FROM jsonb_to_recordset($3::jsonb) AS line(id uuid, reference text, name text, type text, quantity int,
        quantity_unit text, unit_price int, tax_rate int, sales_tax_rate int, total_discount_amount int,
        image_url text, product_url text, position int)
      ON CONFLICT (id) DO UPDATE SET reference = excluded.reference, name = excluded.name, type = excluded.type,
        quantity = excluded.quantity, quantity_unit = excluded.quantity_unit, unit_price = excluded.unit_price,
        tax_rate = excluded.tax_rate, sales_tax_rate = excluded.sales_tax_rate,
        total_discount_amount = excluded.total_discount_amount, image_url = excluded.image_url,
        product_url = excluded.product_url
    ), cart_written AS (
      UPDATE cart SET version = version + 1, updated_at = now(), purchase_country = $5, purchase_currency = $6,
        locale = $7, customer = $8::jsonb, shipping_method_id = $9, shipping_line = $10::jsonb, discount_code = $11,
        discount_lines = $12::jsonb
      WHERE id = $1::uuid AND $4::boolean
    ), staled AS (
      UPDATE klarna_authorization SET status = 'stale'
      WHERE cart_id = $1::uuid AND status = 'active' AND $14::boolean RETURNING id
    ), synced AS (
      UPDATE klarna_session
      SET synced_version = $15, synced_payload_hash = $16, last_sync_error = NULL, push_outcome_unknown = false,
          last_correlation_id = COALESCE($17, last_correlation_id), updated_at = now()
      WHERE id = $13::uuid
    )
    SELECT (SELECT count(*) FROM staled)::int AS staled,
           (SELECT status::text FROM klarna_authorization WHERE cart_id = $1::uuid
            ORDER BY created_at DESC LIMIT 1) AS latest_status`,
};

/** Statements by name, for the benchmark's EXPLAIN (bench/explain.mjs). */
export const CART_STORE_SQL: Readonly<Record<keyof typeof SQL, string>> = SQL;

interface CartRow {
  id: string;
  status: CartRecord['status'];
  version: number;
  purchase_country: string;
  purchase_currency: string;
  locale: string;
  customer: CartRecord['customer'];
  shipping_method_id: string | null;
  shipping_line: CartRecord['shippingLine'];
  discount_code: string | null;
  discount_lines: CartRecord['discountLines'];
  items: CartItemRecord[];
  session: (Omit<KlarnaSession, 'expiresAt' | 'createdAt' | 'updatedAt'> & Record<DateKey, string>) | null;
  latest_authorization_status: string | null;
}

type DateKey = 'expiresAt' | 'createdAt' | 'updatedAt';

interface ChangeRow extends CartRow {
  prices: MarketRow[] | null;
  shipping_method: (MethodRow & { rate: number | null }) | null;
  discount: JsonCode | null;
}

export interface CartRead {
  cart: CartRecord;
  items: CartItemRecord[];
  /** The cart's live Klarna session. */
  session: KlarnaSession | null;
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

export interface CartWrite {
  cartId: string;
  removedItemIds: string[];
  /** New and changed items, whole. */
  writtenItems: CartItemRecord[];
  /** The cart's columns after the change; null when they (and its version) stay. */
  cart: CartRecord | null;
  session: SessionWrite | undefined;
}

/** GET /carts/:id: one statement. */
export async function readCart(pool: pg.Pool, cartId: string): Promise<CartRead | null> {
  const { rows } = await pool.query<CartRow>({ name: 'cart.read', text: SQL.read, values: [cartId] });
  return rows[0] ? toRead(rows[0]) : null;
}

/**
 * Opens the change's transaction and takes the cart's row lock in one round trip: a simple query can carry both,
 * but no parameters, so the id goes in as a literal (checked to be a UUID first). False: no such cart.
 */
async function beginCartChange(client: pg.PoolClient, cartId: string): Promise<boolean> {
  if (!UUID.test(cartId)) {
    await client.query('BEGIN');
    return false;
  }
  const results = (await client.query(
    `BEGIN; SELECT 1 FROM cart WHERE id = ${client.escapeLiteral(cartId)}::uuid FOR UPDATE`,
  )) as unknown as pg.QueryResult[];
  return results[1].rowCount === 1;
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
export async function writeCartChange(client: pg.PoolClient, change: CartWrite): Promise<SessionWritten> {
  const { cart, session } = change;
  const { rows } = await client.query<{ staled: number; latest_status: string | null }>({
    name: 'cart.write',
    text: SQL.write,
    values: [
      change.cartId,
      change.removedItemIds,
      JSON.stringify(change.writtenItems.map(itemColumns)),
      cart !== null,
      cart?.purchaseCountry ?? null,
      cart?.purchaseCurrency ?? null,
      cart?.locale ?? null,
      cart?.customer === null || cart === null ? null : JSON.stringify(cart.customer),
      cart?.shippingMethodId ?? null,
      cart?.shippingLine ? JSON.stringify(cart.shippingLine) : null,
      cart?.discountCode ?? null,
      JSON.stringify(cart?.discountLines ?? []),
      session?.sessionRowId ?? null,
      session?.pushed ?? false,
      session?.version ?? null,
      session?.payloadHash ?? null,
      session?.correlationId ?? null,
    ],
  });
  return { staled: rows[0].staled, latestStatus: rows[0].latest_status };
}

function toRead(row: CartRow): CartRead {
  return {
    cart: {
      id: row.id,
      status: row.status,
      version: row.version,
      purchaseCountry: row.purchase_country,
      purchaseCurrency: row.purchase_currency,
      locale: row.locale,
      customer: row.customer,
      shippingMethodId: row.shipping_method_id,
      shippingLine: row.shipping_line,
      discountCode: row.discount_code,
      discountLines: row.discount_lines,
    },
    items: row.items,
    session: row.session && {
      ...row.session,
      expiresAt: new Date(row.session.expiresAt),
      createdAt: new Date(row.session.createdAt),
      updatedAt: new Date(row.session.updatedAt),
    },
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

function itemColumns(item: CartItemRecord) {
  return {
    id: item.id,
    reference: item.reference,
    name: item.name,
    type: item.type,
    quantity: item.quantity,
    quantity_unit: item.quantityUnit,
    unit_price: item.unitPrice,
    tax_rate: item.taxRate,
    sales_tax_rate: item.salesTaxRate,
    total_discount_amount: item.totalDiscountAmount,
    image_url: item.imageUrl,
    product_url: item.productUrl,
    position: item.position,
  };
}

/**
 * Runs a change in its own transaction on a pooled connection: BEGIN with the cart's lock (beginCartChange), then
 * `run`, then COMMIT; ROLLBACK when anything throws. A connection that failed is dropped from the pool, not reused.
 */
export async function inCartChange<T>(
  pool: pg.Pool,
  cartId: string,
  run: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A checked-out client's connection errors are the borrower's to handle (pg-pool listens only while it is idle):
  // a lost connection also fails the query in flight, and the client is then dropped instead of reused.
  const onError = (error: Error) => (broken = error);
  client.on('error', onError);
  try {
    // No such cart: the read finds none and `run` throws CART_NOT_FOUND.
    await beginCartChange(client, cartId);
    const result = await run(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.off('error', onError);
    if (!closedByShutdown.has(client)) client.release(broken);
  }
}
