import type { KlarnaOrderLine, KlarnaShippingInfo } from '../klarna/klarna.types.js';
import type { KlarnaOrderStatus } from './order-management-rules.js';
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
  /** Klarna's Order Management status, apart from our lifecycle `status`. */
  klarnaStatus: KlarnaOrderStatus | null;
  refundedAmount: number;
  remainingAuthorizedAmount: number | null;
  expiresAt: Date | null;
  autoCapture: boolean;
  merchantReference2: string | null;
  reconciledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** POST /carts/:id/klarna-session/authorizations and POST /carts/:id/order. */
export interface PlacementAnswer {
  orderId: string;
  klarnaOrderId: string | null;
  status: OrderStatus;
  fraudStatus: string | null;
  redirectUrl: string | null;
}

/**
 * GET /orders/:id, the storefront's confirmation page: what a receipt shows, found by an unguessable order id.
 * No cart id (the cart holds the shopper's addresses and contact details) and no personal data.
 */
export interface ReceiptView extends PlacementAnswer {
  orderAmount: number;
  orderTaxAmount: number;
  capturedAmount: number;
  refundedAmount: number;
  remainingAuthorizedAmount: number;
  /** Klarna's Order Management status (authorized, part_captured, captured, cancelled, expired, closed). */
  klarnaStatus: KlarnaOrderStatus | null;
  /** When the authorization lapses unless captured or extended. */
  expiresAt: string | null;
  purchaseCurrency: string;
  orderLines: KlarnaOrderLine[];
  createdAt: string;
}

/** The operations' view of an order (ops endpoints): the receipt and the cart it came from. */
export interface OrderView extends ReceiptView {
  cartId: string;
}

/** A capture as the API shows it. */
export interface CaptureView {
  id: string;
  orderId: string;
  klarnaCaptureId: string;
  capturedAmount: number;
  description: string | null;
  reference: string | null;
  orderLines: KlarnaOrderLine[];
  shippingInfo: KlarnaShippingInfo[];
  capturedAt: string;
  /** The operation that asked for it; null when Klarna made it without one of ours (auto capture, the portal). */
  operationId: string | null;
}

export interface RefundView {
  id: string;
  orderId: string;
  klarnaRefundId: string;
  refundedAmount: number;
  description: string | null;
  reference: string | null;
  orderLines: KlarnaOrderLine[];
  refundedAt: string;
  operationId: string | null;
}

/** An Order Management operation with Klarna's result, for ops. */
export interface OperationView {
  id: string;
  kind: string;
  requestKey: string;
  status: string;
  request: unknown;
  result: unknown;
  errorCode: string | null;
  correlationId: string | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
}

export interface DriftView {
  id: string;
  orderId: string;
  field: string;
  ours: string | null;
  klarna: string | null;
  applied: boolean;
  detectedAt: string;
}
