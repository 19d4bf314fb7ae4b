import type { KlarnaAddress, KlarnaCustomer, KlarnaOrderLine } from '../klarna/klarna.types.js';
import type { KlarnaCartState } from '../klarna-session/klarna-session.types.js';

export type CartStatus = 'open' | 'checkout' | 'placing' | 'ordered' | 'abandoned';

export interface CartRecord {
  id: string;
  status: CartStatus;
  version: number;
  purchaseCountry: string;
  purchaseCurrency: string;
  locale: string;
  customer: CustomerData | null;
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
export interface CartView extends CartRecord {
  items: CartItemView[];
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
  | { code: 'QUANTITY_LIMITED'; itemId?: string; reference: string; quantityBefore: number; quantity: number };
