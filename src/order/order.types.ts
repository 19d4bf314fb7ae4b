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
  lastCorrelationId: string | null;
  failedAttempts: number;
  /** An attempt at create order had an unknown outcome: a later 4xx then proves nothing on its own. */
  placementOutcomeUnknown: boolean;
  /** Klarna's HTTP status and error code of a failed placement (0: ops found no Klarna order). */
  failureStatus: number | null;
  failureCode: string | null;
  attentionReason: string | null;
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
