import type { KlarnaAddress, KlarnaCustomer } from '../klarna/klarna.types.js';
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
  orderAmount: number;
  orderTaxAmount: number;
  klarna: KlarnaCartState | null;
}
