/**
 * The physical limit the service is measured against: plain Fastify + `pg`, no Nest, no validation, no ORM.
 * Per request it sends PostgreSQL the same statements the service sends (the SQL below is what Prisma put on
 * the wire, captured with bench/pg-wire-counter.mjs) and, for a change, the same Klarna call: one
 * `POST /payments/v1/sessions/{id}` with the same snake_case body, HTTP Basic, over a keep-alive agent.
 *
 * `PATCH /carts/:cartId/items/:itemId` mirrors CartService.updateItem, one transaction of 8 round trips:
 *   BEGIN; UPDATE cart ... version + 1 RETURNING (row lock); SELECT cart_item; UPDATE cart_item RETURNING;
 *   SELECT klarna_session; WITH staled AS (UPDATE klarna_authorization ...) SELECT ...; <Klarna update>;
 *   UPDATE klarna_session SET synced_version ...; COMMIT
 * and, like the service, skips the staleness CTE and the Klarna call when the payload hash is unchanged.
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

const ITEM_COLUMNS = `"public"."cart_item"."id", "public"."cart_item"."reference", "public"."cart_item"."name",
  "public"."cart_item"."type", "public"."cart_item"."quantity", "public"."cart_item"."quantity_unit",
  "public"."cart_item"."unit_price", "public"."cart_item"."tax_rate", "public"."cart_item"."total_discount_amount",
  "public"."cart_item"."image_url", "public"."cart_item"."product_url", "public"."cart_item"."position"`;

const SQL = {
  findCart: `SELECT id, status, version, purchase_country, purchase_currency, locale, customer FROM cart WHERE id = $1::uuid`,
  lockForChange: `UPDATE cart SET version = version + 1, updated_at = now() WHERE id = $1::uuid
    RETURNING id, status, version, purchase_country, purchase_currency, locale, customer`,
  items: `SELECT ${ITEM_COLUMNS} FROM "public"."cart_item" WHERE "public"."cart_item"."cart_id" = $1
    ORDER BY "public"."cart_item"."position" ASC OFFSET $2`,
  updateItem: `UPDATE "public"."cart_item" SET "reference" = $1, "name" = $2, "type" = $3, "quantity" = $4,
    "quantity_unit" = $5, "unit_price" = $6, "tax_rate" = $7, "total_discount_amount" = $8, "image_url" = $9,
    "product_url" = $10 WHERE ("public"."cart_item"."id" = $11 AND 1=1) RETURNING ${ITEM_COLUMNS}`,
  sessionByCart: `SELECT "public"."klarna_session"."id", "public"."klarna_session"."cart_id",
    "public"."klarna_session"."session_id", "public"."klarna_session"."client_token",
    "public"."klarna_session"."payment_method_categories", "public"."klarna_session"."status"::text,
    "public"."klarna_session"."purchase_country", "public"."klarna_session"."purchase_currency",
    "public"."klarna_session"."expires_at", "public"."klarna_session"."synced_version",
    "public"."klarna_session"."synced_payload_hash", "public"."klarna_session"."last_sync_error",
    "public"."klarna_session"."last_correlation_id", "public"."klarna_session"."created_at",
    "public"."klarna_session"."updated_at" FROM "public"."klarna_session"
    WHERE ("public"."klarna_session"."cart_id" = $1 AND 1=1) LIMIT $2 OFFSET $3`,
  staleAuthorizations: `WITH staled AS (
      UPDATE klarna_authorization SET status = 'stale' WHERE cart_id = $1::uuid AND status = 'active' RETURNING id
    )
    SELECT (SELECT count(*) FROM staled)::int AS staled,
           (SELECT status::text FROM klarna_authorization WHERE cart_id = $2::uuid
            ORDER BY created_at DESC LIMIT 1) AS latest_status`,
  markSynced: `UPDATE klarna_session SET synced_version = $1, synced_payload_hash = $2, last_sync_error = NULL,
    last_correlation_id = COALESCE($3, last_correlation_id), updated_at = now() WHERE id = $4::uuid`,
  latestAuthorization: `SELECT "public"."klarna_authorization"."id", "public"."klarna_authorization"."cart_id",
    "public"."klarna_authorization"."klarna_session_id", "public"."klarna_authorization"."authorization_token",
    "public"."klarna_authorization"."cart_version", "public"."klarna_authorization"."status"::text,
    "public"."klarna_authorization"."source"::text, "public"."klarna_authorization"."held_for_review",
    "public"."klarna_authorization"."created_at", "public"."klarna_authorization"."expires_at"
    FROM "public"."klarna_authorization" WHERE "public"."klarna_authorization"."cart_id" = $1
    ORDER BY "public"."klarna_authorization"."created_at" DESC LIMIT $2 OFFSET $3`,
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
    sessionId: session.session_id,
    clientToken: session.client_token,
    expiresAt: session.expires_at.toISOString(),
    syncedVersion,
    inSync,
    action,
    syncError: session.last_sync_error,
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
    const { rows: items } = await pool.query(SQL.items, [cartId, 0]);
    const {
      rows: [session],
    } = await pool.query(SQL.sessionByCart, [cartId, 1, 0]);
    let klarna = null;
    if (session) {
      const live = session.status === 'active' && session.expires_at.getTime() > Date.now();
      const inSync = live && session.synced_version === cart.version && session.last_sync_error === null;
      const latest = inSync ? (await pool.query(SQL.latestAuthorization, [cartId, 1, 0])).rows[0] : undefined;
      klarna = klarnaState(
        session,
        session.synced_version,
        inSync,
        latest?.status === 'stale' ? 'reauthorize' : 'none',
      );
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
      const { rows: items } = cart ? await client.query(SQL.items, [cartId, 0]) : { rows: [] };
      const index = items.findIndex((item) => item.id === itemId);
      if (!cart || index < 0) {
        await client.query('ROLLBACK');
        return reply.code(404).send({ code: cart ? 'ITEM_NOT_FOUND' : 'CART_NOT_FOUND' });
      }
      const item = { ...items[index], quantity: request.body.quantity ?? items[index].quantity };
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
        item.total_discount_amount,
        item.image_url,
        item.product_url,
        itemId,
      ]);
      items[index] = updated;
      const order = computeOrder(cart, items);
      const {
        rows: [session],
      } = await client.query(SQL.sessionByCart, [cartId, 1, 0]);
      let klarna = null;
      if (session) {
        // Same key order as the service's KlarnaOrderData, so both write comparable hashes.
        const hash = createHash('sha256').update(JSON.stringify(order)).digest('hex');
        let correlationId = null;
        let action = 'none';
        if (hash !== session.synced_payload_hash) {
          const {
            rows: [stale],
          } = await client.query(SQL.staleAuthorizations, [cartId, cartId]);
          correlationId = (await updateSession(session.session_id, sessionBody(order))) ?? null;
          action = stale.staled > 0 || stale.latest_status === 'stale' ? 'reauthorize' : 'load';
        }
        await client.query(SQL.markSynced, [cart.version, hash, correlationId, session.id]);
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
