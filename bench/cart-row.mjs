/**
 * The cart fields the store's write statement takes (`writeParameters`' `cart`, src/cart/cart-store.sql.ts), from a
 * cart row as its read statements return it (snake_case). Shared by the baseline and bench/hot-statements.mjs.
 */
export function writtenCartOf(cart) {
  return {
    purchaseCountry: cart.purchase_country,
    purchaseCurrency: cart.purchase_currency,
    locale: cart.locale,
    customer: cart.customer,
    shippingMethodId: cart.shipping_method_id,
    shippingLine: cart.shipping_line,
    discountCode: cart.discount_code,
    discountLines: cart.discount_lines,
  };
}
