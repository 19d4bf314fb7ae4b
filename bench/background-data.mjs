/**
 * Background data for `--background-carts=<n>` (issue 14, "scale with data"): n extra carts with their items,
 * Klarna sessions, authorizations, orders and delivered order events, inserted straight into the bench database
 * with set-based SQL (generate_series), so the hot statements run against tables and indexes of a shop that has
 * been open for a while. The load never touches these carts: it only has to find its own among them.
 *
 * The mix, per cart number n: every cart has 2 items and a live session; even n are ordered (session completed,
 * authorization consumed, order confirmed and captured, events order.placed and order.confirmed delivered); of
 * the others, every third is abandoned with an expired session, and every fourth carries a stale authorization.
 * Dates spread over the last 90 days, and every table's rows are inserted in the order of their dates, as in a
 * database that grew over time: its tables' physical order follows the time-ordered (v7) ids of carts, lines and
 * sessions, which is what the planner's correlation statistics see (bench/README.md, "Rows in time order").
 * Inserts fire no order trigger here: order_moves_forward_only and order_emits_events are UPDATE/DELETE triggers,
 * so the event rows are written as the trigger would have left them once delivered (state from the migration's own
 * order_event_state()). A cart with an authorization is inserted with has_authorizations set, so the
 * authorizations' insert trigger finds nothing left to update.
 */

/**
 * @param {import('pg').Client} client connected to the bench database, migrated
 * @param {number} count carts to add
 * @param {{ reference: string, name: string, unitPrice: number }[]} products catalog lines the items copy
 * @returns {Promise<{ carts: number, rows: Record<string, number>,
 *   secondsByTable: Record<string, number>, seconds: number, analyzeSeconds: number }>}
 */
export async function seedBackgroundCarts(client, count, products) {
  const started = Date.now();
  const rows = {};
  const secondsByTable = {};
  const run = async (table, sql, params = []) => {
    const from = Date.now();
    const result = await client.query(sql, params);
    rows[table] = result.rowCount ?? 0;
    secondsByTable[table] = (Date.now() - from) / 1000;
  };
  await client.query('BEGIN');
  try {
    await client.query(
      `CREATE FUNCTION pg_temp.uuid_v7(at timestamptz) RETURNS uuid LANGUAGE sql VOLATILE AS $$
         SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
           PLACING substring(int8send((extract(epoch FROM at) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1),
           'hex')::uuid $$`,
    );
    await client.query(
      `CREATE TEMP TABLE bench_background ON COMMIT DROP AS
       SELECT n, pg_temp.uuid_v7(created_at) AS cart_id, pg_temp.uuid_v7(created_at) AS session_row_id,
              gen_random_uuid() AS authorization_id, gen_random_uuid() AS order_id,
              ordered, abandoned, stale, version, created_at
       FROM (SELECT n, n % 2 = 0 AS ordered, n % 2 = 1 AND n % 3 = 0 AS abandoned, n % 2 = 1 AND n % 4 = 1 AS stale,
              2 + n % 5 AS version,
              date_trunc('milliseconds', now() - (n % 90) * interval '1 day' - (n % 1440) * interval '1 minute')
                AS created_at
             FROM generate_series(1, $1::int) AS n) AS g`,
      [count],
    );
    await run(
      'cart',
      `INSERT INTO cart (id, status, purchase_country, purchase_currency, locale, version, customer,
         shipping_method_id, shipping_line, has_authorizations, created_at, updated_at)
       SELECT cart_id,
              (CASE WHEN ordered THEN 'ordered' WHEN abandoned THEN 'abandoned' ELSE 'open' END)::"CartStatus",
              'SE', 'SEK', 'sv-SE', version,
              CASE WHEN ordered THEN jsonb_build_object('billingAddress', jsonb_build_object(
                'email', 'shopper' || n || '@example.com', 'postalCode', '11122', 'city', 'Stockholm',
                'country', 'SE')) END,
              CASE WHEN ordered THEN 'bench-home' END,
              CASE WHEN ordered THEN '{"name":"Home delivery","amount":4900,"taxRate":2500}'::jsonb END,
              ordered OR stale, created_at, created_at + interval '20 minutes'
       FROM bench_background ORDER BY created_at`,
    );
    await run(
      'cart_item',
      `INSERT INTO cart_item (id, cart_id, reference, name, type, quantity, unit_price, tax_rate, position)
       SELECT pg_temp.uuid_v7(b.created_at), b.cart_id, p.reference, p.name, 'physical', 1 + (b.n + k) % 3, p.unit_price, 2500, k
       FROM bench_background b
       CROSS JOIN generate_series(0, 1) AS k
       JOIN unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS p(reference, name, unit_price, i)
         ON p.i = 1 + (b.n + k) % cardinality($1::text[])
       ORDER BY b.created_at, k`,
      [products.map((p) => p.reference), products.map((p) => p.name), products.map((p) => p.unitPrice)],
    );
    await run(
      'klarna_session',
      `INSERT INTO klarna_session (id, cart_id, session_id, client_token, payment_method_categories, status,
         purchase_country, purchase_currency, expires_at, synced_version, synced_payload_hash, live,
         last_correlation_id, created_at, updated_at)
       SELECT session_row_id, cart_id, 'bench-bg-' || cart_id,
              'eyJhbGciOiJSUzI1NiJ9.' || md5(cart_id::text) || md5(session_row_id::text) || md5(n::text),
              '[{"identifier":"pay_later","name":"Pay later"},{"identifier":"pay_over_time","name":"Financing"}]',
              (CASE WHEN ordered THEN 'completed' WHEN abandoned THEN 'expired' ELSE 'active' END)::"KlarnaSessionStatus",
              'SE', 'SEK', created_at + interval '48 hours', version,
              md5(cart_id::text) || md5(version::text), true, 'bench-bg-' || n, created_at, created_at
       FROM bench_background ORDER BY created_at`,
    );
    await run(
      'klarna_authorization',
      `INSERT INTO klarna_authorization (id, cart_id, klarna_session_id, authorization_token, cart_version, status,
         source, created_at, expires_at)
       SELECT authorization_id, cart_id, session_row_id, 'bench-bg-token-' || authorization_id, version,
              (CASE WHEN ordered THEN 'consumed' ELSE 'stale' END)::"AuthorizationStatus", 'storefront',
              created_at + interval '10 minutes', created_at + interval '70 minutes'
       FROM bench_background WHERE ordered OR stale ORDER BY created_at`,
    );
    await run(
      'order',
      `INSERT INTO "order" (id, cart_id, klarna_order_id, authorization_id, status, fraud_status, order_amount,
         order_tax_amount, captured_amount, purchase_country, purchase_currency, order_lines, merchant_reference1,
         last_correlation_id, klarna_status, expires_at, reconciled_at, created_at, updated_at)
       SELECT b.order_id, b.cart_id, 'bench-bg-order-' || b.order_id, b.authorization_id, 'confirmed', 'ACCEPTED',
              l.amount, l.amount / 5, l.amount, 'SE', 'SEK', l.lines, b.order_id::text, 'bench-bg-' || b.n,
              'captured', b.created_at + interval '28 days', now(), b.created_at + interval '11 minutes',
              b.created_at + interval '1 day'
       FROM bench_background b
       JOIN (SELECT i.cart_id, sum(i.quantity * i.unit_price)::int AS amount,
                    jsonb_agg(jsonb_build_object('type', i.type, 'reference', i.reference, 'name', i.name,
                      'quantity', i.quantity, 'unitPrice', i.unit_price, 'taxRate', i.tax_rate,
                      'totalAmount', i.quantity * i.unit_price, 'totalDiscountAmount', 0,
                      'totalTaxAmount', i.quantity * i.unit_price / 5) ORDER BY i.position) AS lines
             FROM cart_item i JOIN bench_background o ON o.cart_id = i.cart_id AND o.ordered
             GROUP BY i.cart_id) l ON l.cart_id = b.cart_id
       WHERE b.ordered ORDER BY b.created_at`,
    );
    await run(
      'order_event',
      `INSERT INTO order_event (order_id, type, state, status, attempts, next_attempt_at, retry_from,
         last_attempt_at, last_status, delivered_at, created_at)
       SELECT o.id, t.type, order_event_state(o), 'delivered', 1, o.created_at, o.created_at, o.created_at, 200,
              o.created_at, o.created_at
       FROM "order" o JOIN bench_background b ON b.order_id = o.id
       CROSS JOIN (VALUES ('order.placed'), ('order.confirmed')) AS t(type)
       ORDER BY o.created_at, t.type`,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  const inserted = Date.now();
  // Statistics and visibility maps as autovacuum would have left them on a database that grew to this size over
  // time, and the bulk insert's dirty pages written out: otherwise the checkpoint and autovacuum that follow a
  // 600 000-row insert land in the middle of the measured levels.
  await client.query('VACUUM ANALYZE cart, cart_item, klarna_session, klarna_authorization, "order", order_event');
  await client.query('CHECKPOINT');
  return {
    carts: count,
    rows,
    secondsByTable,
    seconds: (inserted - started) / 1000,
    analyzeSeconds: (Date.now() - inserted) / 1000,
  };
}
