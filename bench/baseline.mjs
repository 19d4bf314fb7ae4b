/**
 * The physical limit the service is measured against: plain Fastify + `pg`, no Nest, no validation, no ORM.
 * Per request it sends PostgreSQL the same statements the service sends (the SQL below is what Prisma put on
 * the wire, captured with bench/pg-wire-counter.mjs) and, for a change, the same Klarna call: one
 * `POST /payments/v1/sessions/{id}` with the same snake_case body, HTTP Basic, over a keep-alive agent.
 *
 * `PATCH /carts/:cartId/items/:itemId` mirrors CartService.updateItem (src/cart/cart-store.ts), one transaction of
 * 4 round trips: `BEGIN; SELECT ... FOR UPDATE` (one simple query); the read for the change (cart, items, session,
 * prices, shipping method, discount code); <Klarna update>; the write (items, cart, session, stale authorizations);
 * COMMIT. Like the service it calls no Klarna and writes nothing when the quantity is the one the cart has.
 * `GET /carts/:cartId` mirrors CartService.getCart: one statement.
 * Left out on purpose (they cost no I/O): market and line validation, session expiry and market-change plans.
 * Its answers are the service's view, field for field (bench/run.mjs checks a read byte for byte and a change's
 * shape before loading), so both sides serialise and send the same bytes.
 *
 * Run: `node bench/baseline.mjs` with PORT, DATABASE_URL, DATABASE_POOL_SIZE, KLARNA_API_URL,
 * KLARNA_USERNAME, KLARNA_PASSWORD. Prints one line `baseline listening on <url>`.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import http from 'node:http';
import Fastify from 'fastify';
import pg from 'pg';
import { writtenCartOf } from './cart-row.mjs';

// The service's own statements, from the build: the baseline cannot drift from them.
const { CART_STORE_SQL: SQL, writeParameters } = await import(
  new URL('../dist/cart/cart-store.sql.js', import.meta.url).href
);

/** Klarna's order-line arithmetic (src/cart/order-lines.ts), SE-style tax-inclusive markets only. */
function computeOrder(cart, items) {
  const orderLines = items.map((item) => {
    const totalAmount = item.quantity * item.unitPrice - item.totalDiscountAmount;
    const n = Math.abs(totalAmount * item.taxRate);
    const d = 10_000 + item.taxRate;
    return {
      type: item.type,
      reference: item.reference,
      name: item.name,
      quantity: item.quantity,
      quantityUnit: item.quantityUnit ?? undefined,
      unitPrice: item.unitPrice,
      taxRate: item.taxRate,
      totalAmount,
      totalDiscountAmount: item.totalDiscountAmount,
      totalTaxAmount: Math.sign(totalAmount) * Math.floor((2 * n + d) / (2 * d)) || 0,
      imageUrl: item.imageUrl ?? undefined,
      productUrl: item.productUrl ?? undefined,
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

/**
 * The answer the service gives (CartService's view), field for field and in the same order, so both sides serialise
 * and send the same bytes; bench/run.mjs checks that both answer a read of one cart identically.
 */
function cartView(cart, order, items, klarna) {
  const shipping = cart.shipping_line;
  return {
    id: cart.id,
    status: cart.status,
    version: cart.version,
    purchaseCountry: cart.purchase_country,
    purchaseCurrency: cart.purchase_currency,
    locale: cart.locale,
    shipping: shipping
      ? {
          methodId: shipping.reference,
          name: shipping.name,
          amount: shipping.unitPrice,
          taxRate: shipping.salesTaxRate ?? shipping.taxRate,
        }
      : null,
    discount: cart.discount_code
      ? {
          code: cart.discount_code,
          amount: -cart.discount_lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0),
        }
      : null,
    items: items.map((item, index) => ({
      id: item.id,
      reference: item.reference,
      name: item.name,
      type: item.type,
      quantity: item.quantity,
      quantityUnit: item.quantityUnit,
      unitPrice: item.unitPrice,
      taxRate: item.taxRate,
      salesTaxRate: item.salesTaxRate,
      totalDiscountAmount: item.totalDiscountAmount,
      imageUrl: item.imageUrl,
      productUrl: item.productUrl,
      totalAmount: order.orderLines[index].totalAmount,
      totalTaxAmount: order.orderLines[index].totalTaxAmount,
    })),
    orderLines: order.orderLines,
    orderAmount: order.orderAmount,
    orderTaxAmount: order.orderTaxAmount,
    customer: cart.customer,
    klarna,
    notices: [],
  };
}

function klarnaState(session, syncedVersion, inSync, action) {
  return {
    sessionId: session.sessionId,
    clientToken: session.clientToken,
    expiresAt: new Date(session.expiresAt).toISOString(),
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
    const {
      rows: [cart],
    } = await pool.query({ name: 'cart.read', text: SQL.read, values: [request.params.cartId] });
    if (!cart) return reply.code(404).send({ code: 'CART_NOT_FOUND' });
    const { session, items } = cart;
    let klarna = null;
    if (session) {
      const live = session.status === 'active' && new Date(session.expiresAt).getTime() > Date.now();
      const inSync = live && session.syncedVersion === cart.version && session.lastSyncError === null;
      const action = inSync && cart.latest_authorization_status === 'stale' ? 'reauthorize' : 'none';
      klarna = klarnaState(session, session.syncedVersion, inSync, action);
    }
    return cartView(cart, computeOrder(cart, items), items, klarna);
  });

  app.patch('/carts/:cartId/items/:itemId', async (request, reply) => {
    const { cartId, itemId } = request.params;
    const client = await pool.connect();
    try {
      await client.query(`BEGIN; SELECT 1 FROM cart WHERE id = ${client.escapeLiteral(cartId)}::uuid FOR UPDATE`);
      const {
        rows: [cart],
      } = await client.query({
        name: 'cart.read-for-change',
        text: SQL.readForChange,
        values: [cartId, [], true, null, null],
      });
      const items = cart?.items ?? [];
      const index = items.findIndex((item) => item.id === itemId);
      if (!cart || index < 0) {
        await client.query('ROLLBACK');
        return reply.code(404).send({ code: cart ? 'ITEM_NOT_FOUND' : 'CART_NOT_FOUND' });
      }
      // Every line is priced at the catalog's word (the read above carries the prices).
      const price = cart.prices.find((row) => row.reference === items[index].reference);
      const before = items[index];
      const item = {
        ...before,
        name: price.name,
        type: price.type,
        unitPrice: price.unit_price,
        taxRate: price.rate,
        quantity: request.body.quantity ?? before.quantity,
      };
      const changed = ['name', 'type', 'unitPrice', 'taxRate', 'quantity'].some((key) => item[key] !== before[key]);
      items[index] = item;
      const version = changed ? cart.version + 1 : cart.version;
      const order = computeOrder(cart, items);
      const { session } = cart;
      let klarna = null;
      if (changed) {
        // Same key order as the service's KlarnaOrderData, so both write comparable hashes.
        const hash = createHash('sha256').update(JSON.stringify(order)).digest('hex');
        const pushed = session !== null && hash !== session.syncedPayloadHash;
        const correlationId = pushed ? ((await updateSession(session.sessionId, sessionBody(order))) ?? null) : null;
        const {
          rows: [written],
        } = await client.query({
          name: 'cart.write',
          text: SQL.write,
          values: writeParameters({
            cartId,
            removedItemIds: [],
            writtenItems: [item],
            cart: writtenCartOf(cart),
            session: session && { sessionRowId: session.id, pushed, version, payloadHash: hash, correlationId },
            hasAuthorizations: cart.latest_authorization_status !== null,
          }),
        });
        if (session) {
          const reauthorize = pushed && (written.staled > 0 || written.latest_status === 'stale');
          klarna = klarnaState(session, version, true, reauthorize ? 'reauthorize' : pushed ? 'load' : 'none');
        }
      } else if (session) {
        klarna = klarnaState(session, session.syncedVersion, session.syncedVersion === version, 'none');
      }
      await client.query('COMMIT');
      return cartView({ ...cart, version }, order, items, klarna);
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
