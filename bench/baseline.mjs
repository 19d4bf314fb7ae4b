/**
 * The physical limit the service is measured against: plain Fastify + `pg`, no Nest, no validation, no ORM.
 * Per request it sends PostgreSQL the same statements the service sends (the SQL below is what Prisma put on
 * the wire, captured with bench/pg-wire-counter.mjs) and, for a change, the same Klarna call: one
 * `POST /payments/v1/sessions/{id}` with the same snake_case body, HTTP Basic, over a keep-alive agent.
 *
 * `PATCH /carts/:cartId/items/:itemId` mirrors CartService.updateItem, one transaction of 8 round trips:
 *   BEGIN; UPDATE cart ... version + 1 RETURNING (row lock); SELECT cart_item; SELECT the catalog's prices;
 *   UPDATE cart_item RETURNING;
 *   SELECT klarna_session; <Klarna update>; WITH staled AS (UPDATE klarna_authorization ...), synced AS
 *   (UPDATE klarna_session ...) SELECT ...; COMMIT
 * and, like the service, skips the Klarna call (and marks the session synced with a plain UPDATE) when the
 * payload hash is unchanged.
 * `GET /carts/:cartId` mirrors CartService.getCart, 4 statements outside a transaction: SELECT cart;
 * SELECT cart_item; SELECT klarna_session; SELECT the latest klarna_authorization (only when in sync).
 * Left out on purpose (they cost no I/O): market and line validation, session expiry and market-change plans.
 *
 * Run: `node bench/baseline.mjs` with PORT, DATABASE_URL, DATABASE_POOL_SIZE, KLARNA_API_URL,
 * KLARNA_USERNAME, KLARNA_PASSWORD. Prints one line `baseline listening on <url>`.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import http from 'node:http';
import Fastify from 'fastify';
import pg from 'pg';

const ITEM_COLUMNS = `id, reference, name, type, quantity, quantity_unit, unit_price, tax_rate,
  sales_tax_rate, total_discount_amount, image_url, product_url, position`;

export const SQL = {
  findCart: `SELECT id, status, version, purchase_country, purchase_currency, locale, customer FROM cart WHERE id = $1::uuid`,
  lockForChange: `UPDATE cart SET version = version + 1, updated_at = now() WHERE id = $1::uuid
    RETURNING id, status, version, purchase_country, purchase_currency, locale, customer`,
  items: `SELECT ${ITEM_COLUMNS} FROM cart_item WHERE cart_id = $1::uuid ORDER BY position`,
  priceItems: `SELECT p.reference, p.name, p.names, p.type::text AS type, p.image_url, p.product_url, p.max_quantity,
      pr.unit_price, t.rate
    FROM catalog_product p
    LEFT JOIN catalog_price pr ON pr.product_id = p.id AND pr.currency = $1
    LEFT JOIN catalog_tax_rate t ON t.country = $2 AND t.tax_class = p.tax_class
    WHERE p.reference = ANY($3::text[]) AND p.active`,
  updateItem: `UPDATE cart_item SET reference = $1, name = $2, type = $3, quantity = $4, quantity_unit = $5,
    unit_price = $6, tax_rate = $7, sales_tax_rate = $8, total_discount_amount = $9, image_url = $10, product_url = $11
    WHERE id = $12::uuid RETURNING ${ITEM_COLUMNS}`,
  sessionByCart: `SELECT id, cart_id AS "cartId", session_id AS "sessionId", client_token AS "clientToken",
    payment_method_categories AS "paymentMethodCategories", status::text AS status,
    purchase_country AS "purchaseCountry", purchase_currency AS "purchaseCurrency", expires_at AS "expiresAt",
    synced_version AS "syncedVersion", synced_payload_hash AS "syncedPayloadHash",
    last_sync_error AS "lastSyncError", last_correlation_id AS "lastCorrelationId", live,
    push_outcome_unknown AS "pushOutcomeUnknown", intent, created_at AS "createdAt",
    updated_at AS "updatedAt" FROM klarna_session WHERE cart_id = $1::uuid AND live`,
  recordPush: `WITH staled AS (
      UPDATE klarna_authorization SET status = 'stale' WHERE cart_id = $1::uuid AND status = 'active' RETURNING id
    ), synced AS (
      UPDATE klarna_session SET synced_version = $2, synced_payload_hash = $3, last_sync_error = NULL,
        push_outcome_unknown = false,
        last_correlation_id = COALESCE($4, last_correlation_id), updated_at = now() WHERE id = $5::uuid RETURNING id
    )
    SELECT (SELECT count(*) FROM staled)::int AS staled, (SELECT count(*) FROM synced)::int AS synced,
           (SELECT status::text FROM klarna_authorization WHERE cart_id = $6::uuid
            ORDER BY created_at DESC LIMIT 1) AS latest_status`,
  markSynced: `UPDATE klarna_session SET synced_version = $1, synced_payload_hash = $2, last_sync_error = NULL,
    push_outcome_unknown = false,
    last_correlation_id = COALESCE($3, last_correlation_id), updated_at = now() WHERE id = $4::uuid`,
  latestAuthorization: `SELECT status::text AS status FROM klarna_authorization WHERE cart_id = $1::uuid
    ORDER BY created_at DESC LIMIT 1`,
};

/** Klarna's order-line arithmetic (src/cart/order-lines.ts), SE-style tax-inclusive markets only. */
function computeOrder(cart, items) {
  const orderLines = items.map((item) => {
    const totalAmount = item.quantity * item.unit_price - item.total_discount_amount;
    const n = Math.abs(totalAmount * item.tax_rate);
    const d = 10_000 + item.tax_rate;
    return {
      type: item.type,
      reference: item.reference,
      name: item.name,
      quantity: item.quantity,
      quantityUnit: item.quantity_unit ?? undefined,
      unitPrice: item.unit_price,
      taxRate: item.tax_rate,
      totalAmount,
      totalDiscountAmount: item.total_discount_amount,
      totalTaxAmount: Math.sign(totalAmount) * Math.floor((2 * n + d) / (2 * d)) || 0,
      imageUrl: item.image_url ?? undefined,
      productUrl: item.product_url ?? undefined,
    };
  });
  return {
    purchaseCountry: cart.purchase_country,
    purchaseCurrency: cart.purchase_currency,
    locale: cart.locale,
    orderAmount: orderLines.reduce((sum, line) => sum + line.totalAmount, 0),
    orderTaxAmount: orderLines.reduce((sum, line) => sum + line.totalTaxAmount, 0),
    orderLines,
    billingAddress: cart.customer?.billingAddress,
    shippingAddress: cart.customer?.shippingAddress,
    customer: cart.customer?.customer,
  };
}

/** The update-session body the service's gateway sends (src/klarna/klarna-wire.ts). */
function sessionBody(order) {
  return JSON.stringify({
    purchase_country: order.purchaseCountry,
    purchase_currency: order.purchaseCurrency,
    locale: order.locale,
    order_amount: order.orderAmount,
    order_tax_amount: order.orderTaxAmount,
    order_lines: order.orderLines.map((line) => ({
      type: line.type,
      reference: line.reference,
      name: line.name,
      quantity: line.quantity,
      quantity_unit: line.quantityUnit,
      unit_price: line.unitPrice,
      tax_rate: line.taxRate,
      total_amount: line.totalAmount,
      total_discount_amount: line.totalDiscountAmount,
      total_tax_amount: line.totalTaxAmount,
      image_url: line.imageUrl,
      product_url: line.productUrl,
    })),
  });
}

function cartView(cart, order, items, klarna) {
  return {
    id: cart.id,
    status: cart.status,
    version: cart.version,
    purchaseCountry: cart.purchase_country,
    purchaseCurrency: cart.purchase_currency,
    locale: cart.locale,
    items: items.map((item, index) => ({
      ...order.orderLines[index],
      quantityUnit: item.quantity_unit,
      imageUrl: item.image_url,
      productUrl: item.product_url,
      id: item.id,
    })),
    orderAmount: order.orderAmount,
    orderTaxAmount: order.orderTaxAmount,
    customer: cart.customer,
    klarna,
  };
}

function klarnaState(session, syncedVersion, inSync, action) {
  return {
    sessionId: session.sessionId,
    clientToken: session.clientToken,
    expiresAt: session.expiresAt.toISOString(),
    syncedVersion,
    inSync,
    action,
    syncError: session.lastSyncError,
  };
}

/**
 * @param {{ port: number, databaseUrl: string, poolSize: number, klarnaUrl: string, klarnaUsername: string,
 *   klarnaPassword: string }} options
 * @returns {Promise<{ url: string, close(): Promise<void> }>}
 */
export async function startBaseline(options) {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize });
  const klarna = new URL(options.klarnaUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const authorization = `Basic ${Buffer.from(`${options.klarnaUsername}:${options.klarnaPassword}`).toString('base64')}`;

  /** @returns {Promise<string | undefined>} Klarna's correlation id */
  const updateSession = (sessionId, body) =>
    new Promise((resolve, reject) => {
      const request = http.request(
        {
          agent,
          host: klarna.hostname,
          port: klarna.port,
          method: 'POST',
          path: `/payments/v1/sessions/${encodeURIComponent(sessionId)}`,
          headers: { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            if (response.statusCode >= 200 && response.statusCode < 300)
              resolve(response.headers['klarna-correlation-id']);
            else reject(new Error(`Klarna answered ${response.statusCode}`));
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });

  const app = Fastify({ logger: false });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/carts/:cartId', async (request, reply) => {
    const { cartId } = request.params;
    const {
      rows: [cart],
    } = await pool.query(SQL.findCart, [cartId]);
    if (!cart) return reply.code(404).send({ code: 'CART_NOT_FOUND' });
    const { rows: items } = await pool.query(SQL.items, [cartId]);
    const {
      rows: [session],
    } = await pool.query(SQL.sessionByCart, [cartId]);
    let klarna = null;
    if (session) {
      const live = session.status === 'active' && session.expiresAt.getTime() > Date.now();
      const inSync = live && session.syncedVersion === cart.version && session.lastSyncError === null;
      const latest = inSync ? (await pool.query(SQL.latestAuthorization, [cartId])).rows[0] : undefined;
      klarna = klarnaState(session, session.syncedVersion, inSync, latest?.status === 'stale' ? 'reauthorize' : 'none');
    }
    return cartView(cart, computeOrder(cart, items), items, klarna);
  });

  app.patch('/carts/:cartId/items/:itemId', async (request, reply) => {
    const { cartId, itemId } = request.params;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const {
        rows: [cart],
      } = await client.query(SQL.lockForChange, [cartId]);
      const { rows: items } = cart ? await client.query(SQL.items, [cartId]) : { rows: [] };
      const index = items.findIndex((item) => item.id === itemId);
      if (!cart || index < 0) {
        await client.query('ROLLBACK');
        return reply.code(404).send({ code: cart ? 'ITEM_NOT_FOUND' : 'CART_NOT_FOUND' });
      }
      // Every line is priced at the catalog's word, one statement (CartService.change).
      const { rows: prices } = await client.query(SQL.priceItems, [
        cart.purchase_currency,
        cart.purchase_country,
        items.map((line) => line.reference),
      ]);
      const price = prices.find((row) => row.reference === items[index].reference);
      const item = {
        ...items[index],
        name: price.name,
        type: price.type,
        unit_price: price.unit_price,
        tax_rate: price.rate,
        quantity: request.body.quantity ?? items[index].quantity,
      };
      const {
        rows: [updated],
      } = await client.query(SQL.updateItem, [
        item.reference,
        item.name,
        item.type,
        item.quantity,
        item.quantity_unit,
        item.unit_price,
        item.tax_rate,
        item.sales_tax_rate,
        item.total_discount_amount,
        item.image_url,
        item.product_url,
        itemId,
      ]);
      items[index] = updated;
      const order = computeOrder(cart, items);
      const {
        rows: [session],
      } = await client.query(SQL.sessionByCart, [cartId]);
      let klarna = null;
      if (session) {
        // Same key order as the service's KlarnaOrderData, so both write comparable hashes.
        const hash = createHash('sha256').update(JSON.stringify(order)).digest('hex');
        let action = 'none';
        if (hash !== session.syncedPayloadHash) {
          const correlationId = (await updateSession(session.sessionId, sessionBody(order))) ?? null;
          const {
            rows: [pushed],
          } = await client.query(SQL.recordPush, [cartId, cart.version, hash, correlationId, session.id, cartId]);
          action = pushed.staled > 0 || pushed.latest_status === 'stale' ? 'reauthorize' : 'load';
        } else {
          await client.query(SQL.markSynced, [cart.version, hash, null, session.id]);
        }
        klarna = klarnaState(session, cart.version, true, action);
      }
      await client.query('COMMIT');
      return cartView(cart, order, items, klarna);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  });

  await app.listen({ port: options.port, host: '127.0.0.1' });
  const { port } = app.server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await app.close();
      await pool.end();
      agent.destroy();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = process.env;
  const baseline = await startBaseline({
    port: Number(env.PORT ?? 0),
    databaseUrl: env.DATABASE_URL,
    poolSize: Number(env.DATABASE_POOL_SIZE ?? 10),
    klarnaUrl: env.KLARNA_API_URL,
    klarnaUsername: env.KLARNA_USERNAME,
    klarnaPassword: env.KLARNA_PASSWORD,
  });
  console.log(`baseline listening on ${baseline.url}`);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => void baseline.close().then(() => process.exit(0)));
  }
}
