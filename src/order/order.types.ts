import type { KlarnaOrderLine } from '../klarna/klarna.types.js';
import type { OrderStatus } from './order-state.js';

export interface OrderRecord {
  id: string;
  cartId: string;
  klarnaOrderId: string | null;
  authorizationId: string | null;
  status: OrderStatus;
  fraudStatus: string | null;
  orderAmount: number;
  orderTaxAmount: number;
  capturedAmount: number;
  purchaseCountry: string;
  purchaseCurrency: string;
  orderLines: KlarnaOrderLine[];
  redirectUrl: string | null;
  merchantReference1: string;
  createdAt: Date;
}

/** POST /carts/:id/klarna-session/authorizations and POST /carts/:id/order. */
export interface PlacementAnswer {
  orderId: string;
  klarnaOrderId: string | null;
  status: OrderStatus;
  fraudStatus: string | null;
  redirectUrl: string | null;
}

/** GET /orders/:id. */
export interface OrderView extends PlacementAnswer {
  cartId: string;
  orderAmount: number;
  orderTaxAmount: number;
  capturedAmount: number;
  purchaseCurrency: string;
  orderLines: KlarnaOrderLine[];
  createdAt: string;
}
