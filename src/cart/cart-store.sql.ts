import type { SessionWrite } from '../klarna-session/klarna-cart-state.js';
import type { CartItemRecord, CartRecord } from './cart.types.js';

/*
 * The statements of the cart's hot path (src/cart/cart-store.ts runs them) and the write's parameters. No imports
 * with side effects: the benchmark's baseline and EXPLAIN (bench/) load this module from the build and send the
 * very same statements.
 */

const CART_COLUMNS = `c.id, c.status::text AS status, c.version, c.purchase_country, c.purchase_currency, c.locale,
  c.customer, c.shipping_method_id, c.shipping_line, c.discount_code, c.discount_lines`;

/** The cart's lines as JSON and their references, read with one index descent (a lateral join, alias `it`). */
const ITEMS = `CROSS JOIN LATERAL (
    SELECT COALESCE(json_agg(json_build_object('id', i.id, 'reference', i.reference, 'name', i.name, 'type', i.type,
      'quantity', i.quantity, 'quantityUnit', i.quantity_unit, 'unitPrice', i.unit_price, 'taxRate', i.tax_rate,
      'salesTaxRate', i.sales_tax_rate, 'totalDiscountAmount', i.total_discount_amount, 'imageUrl', i.image_url,
      'productUrl', i.product_url, 'position', i.position) ORDER BY i.position), '[]'::json) AS items,
      COALESCE(array_agg(i.reference), '{}') AS refs
    FROM cart_item i WHERE i.cart_id = c.id) it`;

const SESSION = `(
    SELECT json_build_object('id', s.id, 'cartId', s.cart_id, 'sessionId', s.session_id,
      'clientToken', s.client_token, 'paymentMethodCategories', s.payment_method_categories,
      'status', s.status, 'purchaseCountry', s.purchase_country, 'purchaseCurrency', s.purchase_currency,
      'expiresAt', s.expires_at, 'syncedVersion', s.synced_version, 'syncedPayloadHash', s.synced_payload_hash,
      'lastSyncError', s.last_sync_error, 'lastCorrelationId', s.last_correlation_id, 'live', s.live,
      'pushOutcomeUnknown', s.push_outcome_unknown, 'intent', s.intent)
    FROM klarna_session s WHERE s.cart_id = c.id AND s.live) AS session`;

/** Looked up only for a cart that ever had an authorization (most have none: the flag saves an index descent). */
const LATEST_AUTHORIZATION = `CASE WHEN c.has_authorizations THEN (
    SELECT a.status::text FROM klarna_authorization a WHERE a.cart_id = c.id
    ORDER BY a.created_at DESC LIMIT 1) END AS latest_authorization_status`;

const SQL = {
  read: `SELECT ${CART_COLUMNS}, it.items, ${SESSION}, ${LATEST_AUTHORIZATION} FROM cart c ${ITEMS} WHERE c.id = $1::uuid`,

  /**
   * $2: references priced besides the cart's own (the one being added); $3: whether the catalog is this database;
   * $4 / $5: the shipping method / discount code key the request chose, else the cart's.
   */
  readForChange: `SELECT ${CART_COLUMNS}, it.items, ${SESSION}, ${LATEST_AUTHORIZATION},
    CASE WHEN $3::boolean THEN COALESCE((
      SELECT json_agg(json_build_object('reference', p.reference, 'name', p.name, 'names', p.names,
        'type', p.type, 'image_url', p.image_url, 'product_url', p.product_url, 'max_quantity', p.max_quantity,
        'unit_price', pr.unit_price, 'rate', t.rate))
      FROM catalog_product p
      LEFT JOIN catalog_price pr ON pr.product_id = p.id AND pr.currency = c.purchase_currency
      LEFT JOIN catalog_tax_rate t ON t.country = c.purchase_country AND t.tax_class = p.tax_class
      WHERE p.active
        AND p.reference = ANY(it.refs || $2::text[])
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
    FROM cart c ${ITEMS} WHERE c.id = $1::uuid`,

  /**
   * $2 item ids removed, $3 items written (new or changed, JSON), $4 whether the cart's own columns and version
   * change ($5..$12), $13 the session row, $14 whether the cart was pushed to Klarna now and has authorizations
   * (its active ones go stale; the newest one's status is read back), $15..$17 what the session then holds.
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
           (SELECT status::text FROM klarna_authorization WHERE cart_id = $1::uuid AND $14::boolean
            ORDER BY created_at DESC LIMIT 1) AS latest_status`,
};

/** Statements by name (also the benchmark's baseline and EXPLAIN). */
export const CART_STORE_SQL: Readonly<Record<keyof typeof SQL, string>> = SQL;

export interface CartWrite {
  cartId: string;
  removedItemIds: string[];
  /** New and changed items, whole. */
  writtenItems: CartItemRecord[];
  /** The cart's columns after the change; null when they (and its version) stay. */
  cart: CartRecord | null;
  session: SessionWrite | undefined;
  /**
   * The cart had authorizations when read under its row lock (they are only ever created under it). Without any,
   * a push has none to make stale, and the write skips looking.
   */
  hasAuthorizations: boolean;
}

/** The write statement's parameters, in its order (the benchmark's baseline and EXPLAIN send the same). */
export function writeParameters(change: CartWrite): unknown[] {
  const { cart, session } = change;
  return [
    change.cartId,
    change.removedItemIds,
    JSON.stringify(change.writtenItems.map(itemColumns)),
    cart !== null,
    cart?.purchaseCountry ?? null,
    cart?.purchaseCurrency ?? null,
    cart?.locale ?? null,
    cart?.customer == null ? null : JSON.stringify(cart.customer),
    cart?.shippingMethodId ?? null,
    cart?.shippingLine ? JSON.stringify(cart.shippingLine) : null,
    cart?.discountCode ?? null,
    JSON.stringify(cart?.discountLines ?? []),
    session?.sessionRowId ?? null,
    (session?.pushed ?? false) && change.hasAuthorizations,
    session?.version ?? null,
    session?.payloadHash ?? null,
    session?.correlationId ?? null,
  ];
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
