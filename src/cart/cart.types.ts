import type { KlarnaAddress, KlarnaCustomer, KlarnaOrderLine } from '../klarna/klarna.types.js';
import type { KlarnaCartState } from '../klarna-session/klarna-session.types.js';
import type { DiscountRefusal } from '../discount/discount-rules.js';
import type { AddedLine } from './checkout-lines.js';

export type CartStatus = 'open' | 'checkout' | 'placing' | 'ordered' | 'abandoned';

export interface CartRecord {
  id: string;
  status: CartStatus;
  version: number;
  purchaseCountry: string;
  purchaseCurrency: string;
  locale: string;
  customer: CustomerData | null;
  shippingMethodId: string | null;
  /** The shipping fee line as last priced (what the shopper saw); null without a method. */
  shippingLine: AddedLine | null;
  /** As the shopper typed it (matched case-insensitively). */
  discountCode: string | null;
  /** The discount lines as last priced: one per tax rate of the lines they reduce. */
  discountLines: AddedLine[];
}

export interface CustomerData {
  billingAddress?: KlarnaAddress;
  shippingAddress?: KlarnaAddress;
  customer?: KlarnaCustomer;
}

export interface CartItemRecord {
  id: string;
  reference: string;
  name: string;
  type: string;
  quantity: number;
  quantityUnit: string | null;
  unitPrice: number;
  taxRate: number;
  /** Sales-tax markets (US): the rate of the `sales_tax` line this net line is taxed in; null elsewhere. */
  salesTaxRate: number | null;
  totalDiscountAmount: number;
  imageUrl: string | null;
  productUrl: string | null;
  position: number;
}

export interface CartItemView extends Omit<CartItemRecord, 'position'> {
  totalAmount: number;
  totalTaxAmount: number;
}

/** The cart as the storefront receives it. */
export interface CartView extends Omit<
  CartRecord,
  'shippingMethodId' | 'shippingLine' | 'discountCode' | 'discountLines'
> {
  items: CartItemView[];
  /** The chosen shipping method and its fee for this cart; null: none chosen (or dropped, see `notices`). */
  shipping: { methodId: string; name: string; amount: number; taxRate: number } | null;
  /** The applied code and what it takes off in all (its lines are in `orderLines`, type `discount`). */
  discount: { code: string; amount: number } | null;
  /** Every line as Klarna receives it: the items, then the lines the server adds (US sales tax). */
  orderLines: KlarnaOrderLine[];
  orderAmount: number;
  orderTaxAmount: number;
  klarna: KlarnaCartState | null;
  /** What the server changed on its own in this answer (a line no longer sold, a new price, a lowered limit). */
  notices: CartNotice[];
}

/** Something the server changed in the cart, for the storefront to tell the shopper. */
export type CartNotice =
  | { code: 'ITEM_REMOVED'; itemId?: string; reference: string; reason: 'unknown_product' | 'not_sold_in_market' }
  | { code: 'PRICE_CHANGED'; itemId?: string; reference: string; unitPriceBefore: number; unitPrice: number }
  | { code: 'QUANTITY_LIMITED'; itemId?: string; reference: string; quantityBefore: number; quantity: number }
  | { code: 'SHIPPING_METHOD_REMOVED'; methodId: string; reason: 'unavailable' }
  | { code: 'SHIPPING_FEE_CHANGED'; methodId: string; amountBefore: number; amount: number }
  | { code: 'DISCOUNT_CODE_REMOVED'; discountCode: string; reason: DiscountRefusal }
  | { code: 'DISCOUNT_CHANGED'; discountCode: string; amountBefore: number; amount: number };
