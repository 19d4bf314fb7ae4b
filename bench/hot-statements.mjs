/**
 * The cart's hot statements (src/cart/cart-store.sql.ts, from the build) with their parameters for one cart, for
 * bench/explain.mjs. The change's lock is sent as a simple query with the id as a literal; here it is the same
 * statement with a parameter.
 */
import { writtenCartOf } from './cart-row.mjs';

const { CART_STORE_SQL, writeParameters } = await import(
  new URL('../dist/cart/cart-store.sql.js', import.meta.url).href
);

export const HOT_STATEMENTS = [
  { name: 'cart read (GET /carts/:id)', sql: CART_STORE_SQL.read, params: ({ cart }) => [cart.id] },
  {
    name: 'change 1: lock',
    sql: 'SELECT 1 FROM cart WHERE id = $1::uuid FOR UPDATE',
    params: ({ cart }) => [cart.id],
  },
  {
    name: 'change 2: read for the change',
    sql: CART_STORE_SQL.readForChange,
    params: ({ cart }) => [cart.id, [], true, null, null],
  },
  {
    name: 'change 3: write (one item, the cart, the session)',
    sql: CART_STORE_SQL.write,
    params: ({ cart, items, session, authorization }) =>
      writeParameters({
        cartId: cart.id,
        removedItemIds: [],
        writtenItems: items.slice(0, 1).map((item) => ({
          id: item.id,
          reference: item.reference,
          name: item.name,
          type: item.type,
          quantity: item.quantity + 1,
          quantityUnit: item.quantity_unit,
          unitPrice: item.unit_price,
          taxRate: item.tax_rate,
          salesTaxRate: item.sales_tax_rate,
          totalDiscountAmount: item.total_discount_amount,
          imageUrl: item.image_url,
          productUrl: item.product_url,
          position: item.position,
        })),
        cart: writtenCartOf(cart),
        session: session && {
          sessionRowId: session.id,
          pushed: true,
          version: cart.version + 1,
          payloadHash: 'explain',
          correlationId: null,
        },
        hasAuthorizations: Boolean(authorization),
      }),
  },
];
