/**
 * Klarna's concepts in our camelCase terms. The Klarna gateway speaks these; only the REST client in this
 * folder knows Klarna's URLs and snake_case wire format.
 */
export interface KlarnaOrderLine {
  type: string;
  reference: string;
  name: string;
  quantity: number;
  quantityUnit?: string;
  unitPrice: number;
  /** Basis points: 2500 = 25 %, 770 = 7.7 %. */
  taxRate: number;
  totalAmount: number;
  totalDiscountAmount: number;
  totalTaxAmount: number;
  imageUrl?: string;
  productUrl?: string;
}

export interface KlarnaAddress {
  title?: string;
  givenName?: string;
  familyName?: string;
  email?: string;
  phone?: string;
  streetAddress?: string;
  streetAddress2?: string;
  postalCode?: string;
  city?: string;
  region?: string;
  country?: string;
  organizationName?: string;
  attention?: string;
  careOf?: string;
}

export interface KlarnaCustomer {
  dateOfBirth?: string;
  gender?: string;
  title?: string;
  type?: 'person' | 'organization';
  organizationRegistrationId?: string;
  vatId?: string;
}

export interface KlarnaMerchantUrls {
  authorization?: string;
  confirmation?: string;
  notification?: string;
  push?: string;
}

/** The order content Klarna compares between session, authorization and order. */
export interface KlarnaOrderData {
  purchaseCountry: string;
  purchaseCurrency: string;
  locale: string;
  orderAmount: number;
  orderTaxAmount: number;
  orderLines: KlarnaOrderLine[];
  billingAddress?: KlarnaAddress;
  shippingAddress?: KlarnaAddress;
  customer?: KlarnaCustomer;
}

/** KP-SPEC session.intent: buy (default), or a customer token for recurring purchases with or without a buy. */
export type KlarnaSessionIntent = 'buy' | 'tokenize' | 'buy_and_tokenize';

export interface KlarnaSessionRequest extends KlarnaOrderData {
  merchantUrls?: KlarnaMerchantUrls;
  merchantReference1?: string;
  intent?: KlarnaSessionIntent;
}

export interface KlarnaPaymentMethodCategory {
  identifier: string;
  name?: string;
  assetUrls?: { descriptive?: string; standard?: string };
}

export interface CreatedKlarnaSession {
  sessionId: string;
  clientToken: string;
  paymentMethodCategories: KlarnaPaymentMethodCategory[];
  correlationId?: string;
}

export interface KlarnaSessionView {
  status: string;
  expiresAt?: string;
  purchaseCurrency?: string;
  orderAmount?: number;
  orderTaxAmount?: number;
  orderLines: KlarnaOrderLine[];
  authorizationToken?: string;
}

export interface KlarnaOrderRequest extends KlarnaOrderData {
  merchantReference1: string;
  merchantReference2?: string;
  merchantUrls?: KlarnaMerchantUrls;
  autoCapture?: boolean;
}

export interface PlacedKlarnaOrder {
  orderId: string;
  fraudStatus: string;
  redirectUrl?: string;
  correlationId?: string;
}

export interface KlarnaCustomerTokenRequest {
  purchaseCountry: string;
  purchaseCurrency: string;
  locale: string;
  description: string;
  intendedUse: string;
  billingAddress?: KlarnaAddress;
  customer?: KlarnaCustomer;
}

export interface KlarnaCustomerToken {
  tokenId: string;
  redirectUrl?: string;
  paymentMethodType?: string;
  correlationId?: string;
}

/** An order as Order Management reports it. */
export interface KlarnaManagedOrder {
  orderId: string;
  status: string;
  fraudStatus: string;
  orderAmount: number;
  originalOrderAmount?: number;
  capturedAmount: number;
  refundedAmount?: number;
  remainingAuthorizedAmount?: number;
  purchaseCurrency: string;
  orderLines: KlarnaOrderLine[];
  merchantReference1?: string;
  merchantReference2?: string;
  expiresAt?: string;
  createdAt?: string;
  captures?: KlarnaCapture[];
  refunds?: KlarnaRefund[];
}

/** OM-SPEC shipping_info: what a capture was shipped with (tracking for the shopper's Klarna app). */
export interface KlarnaShippingInfo {
  shippingCompany: string;
  shippingMethod?: string;
  trackingNumber: string;
  trackingUri?: string;
  returnShippingCompany?: string;
  returnTrackingNumber?: string;
  returnTrackingUri?: string;
}

export interface KlarnaCaptureRequest {
  capturedAmount: number;
  /** The order's currency: Klarna's REST API takes the order's own; CyberSource needs it on every capture. */
  currency: string;
  description?: string;
  reference?: string;
  orderLines?: KlarnaOrderLine[];
  shippingInfo?: KlarnaShippingInfo[];
}

export interface KlarnaRefundRequest {
  refundedAmount: number;
  currency: string;
  description?: string;
  reference?: string;
  orderLines?: KlarnaOrderLine[];
  /**
   * The capture the refund is for. Klarna's REST API refunds the order (lines map it to captures) and ignores it;
   * CyberSource keys every refund by a capture's request id.
   */
  captureId?: string;
}

/** A capture or refund Klarna created: its id (Capture-Id / Refund-Id header) and the call's correlation id. */
export interface KlarnaCreatedItem {
  id: string;
  correlationId?: string;
}

export interface KlarnaCapture {
  captureId: string;
  capturedAmount: number;
  capturedAt?: string;
  description?: string;
  reference?: string;
  refundedAmount: number;
  orderLines: KlarnaOrderLine[];
  shippingInfo: KlarnaShippingInfo[];
}

export interface KlarnaRefund {
  refundId: string;
  refundedAmount: number;
  refundedAt?: string;
  description?: string;
  reference?: string;
  orderLines: KlarnaOrderLine[];
}

/** OM-SPEC UpdateConsumer: the addresses that replace the order's. */
export interface KlarnaCustomerDetailsUpdate {
  shippingAddress?: KlarnaAddress;
  billingAddress?: KlarnaAddress;
}

export interface KlarnaMerchantReferencesUpdate {
  merchantReference1?: string;
  merchantReference2?: string;
}

export interface KlarnaAuthorizationUpdate {
  orderAmount: number;
  description?: string;
  orderLines?: KlarnaOrderLine[];
}
