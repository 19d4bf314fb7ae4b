/**
 * Klarna's wire shapes as far as the simulator reads them (snake_case, like Klarna). Bodies reach these types
 * only after the spec validator accepted them; fields the simulator does not interpret stay in the index signature.
 */
export interface KlarnaOrderLine {
  type?: string;
  name: string;
  quantity: number;
  unit_price: number;
  total_amount: number;
  total_discount_amount?: number;
  tax_rate?: number;
  total_tax_amount?: number;
  reference?: string;
  [field: string]: unknown;
}

export interface MerchantUrls {
  authorization?: string;
  confirmation?: string;
  notification?: string;
  push?: string;
}

/** The order fields Klarna checks arithmetic and market rules on. */
export interface OrderAmounts {
  purchase_country: string;
  purchase_currency: string;
  locale?: string;
  order_amount: number;
  order_tax_amount?: number;
  order_lines: KlarnaOrderLine[];
}

/** A session create/update body, or a create-order body. */
export interface SessionFields extends Partial<OrderAmounts> {
  merchant_urls?: MerchantUrls;
  merchant_reference1?: string;
  merchant_reference2?: string;
  /** KP-SPEC: buy (default), tokenize or buy_and_tokenize. */
  intent?: string;
  [field: string]: unknown;
}

export interface CreateOrderRequest extends OrderAmounts {
  auto_capture?: boolean;
  merchant_urls?: MerchantUrls;
  merchant_reference1?: string;
  merchant_reference2?: string;
  [field: string]: unknown;
}

export interface CustomerTokenRequest {
  description: string;
  intended_use: 'SUBSCRIPTION';
  locale: string;
  purchase_country: string;
  purchase_currency: string;
  [field: string]: unknown;
}

export interface UpdateAuthorizationRequest {
  order_amount: number;
  description?: string;
  order_lines?: KlarnaOrderLine[];
}

export interface CaptureRequest {
  captured_amount: number;
  description?: string;
  reference?: string;
  order_lines?: KlarnaOrderLine[];
  shipping_info?: unknown[];
  shipping_delay?: number;
}

export interface RefundRequest {
  refunded_amount: number;
  description?: string;
  reference?: string;
  order_lines?: KlarnaOrderLine[];
}

export interface ShippingInfoRequest {
  shipping_info: unknown[];
}

export interface CustomerDetailsRequest {
  shipping_address?: unknown;
  billing_address?: unknown;
}

export interface MerchantReferencesRequest {
  merchant_reference1?: string;
  merchant_reference2?: string;
}

export type OrderStatus = 'AUTHORIZED' | 'PART_CAPTURED' | 'CAPTURED' | 'CANCELLED' | 'EXPIRED' | 'CLOSED';
export type FraudStatus = 'ACCEPTED' | 'PENDING' | 'REJECTED';
