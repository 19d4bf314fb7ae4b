/**
 * The cart's hot statements (src/cart/cart-store.ts, from the build) with their parameters for one cart, for
 * bench/explain.mjs. The change's lock is sent as a simple query with the id as a literal; here it is the same
 * statement with a parameter.
 */
const { CART_STORE_SQL } = await import(new URL('../dist/cart/cart-store.js', import.meta.url).href);

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
    params: ({ cart, items, session }) => [
      cart.id,
      [],
      JSON.stringify(items.slice(0, 1).map((item) => ({ ...item, quantity: item.quantity + 1 }))),
      true,
      cart.purchase_country,
      cart.purchase_currency,
      cart.locale,
      cart.customer === null ? null : JSON.stringify(cart.customer),
      cart.shipping_method_id,
      cart.shipping_line === null ? null : JSON.stringify(cart.shipping_line),
      cart.discount_code,
      JSON.stringify(cart.discount_lines),
      session?.id ?? null,
      true,
      cart.version + 1,
      'explain',
      null,
    ],
  },
];
