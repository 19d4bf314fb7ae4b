import { KlarnaApiError } from './klarna-api.error.js';
import type {
  KlarnaAddress,
  KlarnaCapture,
  KlarnaCustomer,
  KlarnaManagedOrder,
  KlarnaMerchantUrls,
  KlarnaOrderData,
  KlarnaOrderLine,
  KlarnaRefund,
  KlarnaSessionView,
  KlarnaShippingInfo,
} from './klarna.types.js';

/** Klarna's snake_case JSON, produced from and read into our camelCase types. */
type Json = Record<string, unknown>;

function compact(object: Json): Json {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

export function orderLineToWire(line: KlarnaOrderLine): Json {
  return compact({
    type: line.type,
    reference: line.reference,
    name: line.name,
    quantity: line.quantity,
    quantity_unit: line.quantityUnit,
    unit_price: line.unitPrice,
    tax_rate: line.taxRate,
    total_amount: line.totalAmount,
    total_discount_amount: line.totalDiscountAmount,
    total_tax_amount: line.totalTaxAmount,
    image_url: line.imageUrl,
    product_url: line.productUrl,
  });
}

export function orderLineFromWire(line: Json): KlarnaOrderLine {
  return {
    type: String(line.type ?? 'physical'),
    reference: String(line.reference ?? ''),
    name: String(line.name ?? ''),
    quantity: Number(line.quantity ?? 0),
    quantityUnit: line.quantity_unit === undefined ? undefined : String(line.quantity_unit),
    unitPrice: Number(line.unit_price ?? 0),
    taxRate: Number(line.tax_rate ?? 0),
    totalAmount: Number(line.total_amount ?? 0),
    totalDiscountAmount: Number(line.total_discount_amount ?? 0),
    totalTaxAmount: Number(line.total_tax_amount ?? 0),
    imageUrl: line.image_url === undefined ? undefined : String(line.image_url),
    productUrl: line.product_url === undefined ? undefined : String(line.product_url),
  };
}

export function addressToWire(address: KlarnaAddress | undefined): Json | undefined {
  if (!address) return undefined;
  return compact({
    title: address.title,
    given_name: address.givenName,
    family_name: address.familyName,
    email: address.email,
    phone: address.phone,
    street_address: address.streetAddress,
    street_address2: address.streetAddress2,
    postal_code: address.postalCode,
    city: address.city,
    region: address.region,
    country: address.country,
    organization_name: address.organizationName,
    attention: address.attention,
    care_of: address.careOf,
  });
}

export function customerToWire(customer: KlarnaCustomer | undefined): Json | undefined {
  if (!customer) return undefined;
  return compact({
    date_of_birth: customer.dateOfBirth,
    gender: customer.gender,
    title: customer.title,
    type: customer.type,
    organization_registration_id: customer.organizationRegistrationId,
    vat_id: customer.vatId,
  });
}

export function merchantUrlsToWire(urls: KlarnaMerchantUrls | undefined): Json | undefined {
  return urls ? compact({ ...urls }) : undefined;
}

export function orderDataToWire(order: KlarnaOrderData): Json {
  return compact({
    purchase_country: order.purchaseCountry,
    purchase_currency: order.purchaseCurrency,
    locale: order.locale,
    order_amount: order.orderAmount,
    order_tax_amount: order.orderTaxAmount,
    order_lines: order.orderLines.map(orderLineToWire),
    billing_address: addressToWire(order.billingAddress),
    shipping_address: addressToWire(order.shippingAddress),
    customer: customerToWire(order.customer),
  });
}

/** Checks that a field Klarna must send is there with the right type before we trust it. */
export function requireField<T extends 'string' | 'number' | 'object'>(
  operation: string,
  body: unknown,
  field: string,
  type: T,
): T extends 'string' ? string : T extends 'number' ? number : Json {
  const value = (body as Json | null)?.[field];
  if (typeof value !== type || value === null) {
    // A 2xx we cannot read: Klarna did it, we do not know the result (retry with the same idempotency key).
    throw new KlarnaApiError(
      operation,
      200,
      'INVALID_RESPONSE',
      [`Klarna's answer lacks ${field}`],
      undefined,
      'unreadable',
    );
  }
  return value as T extends 'string' ? string : T extends 'number' ? number : Json;
}

export function managedOrderFromWire(operation: string, body: unknown): KlarnaManagedOrder {
  const json = body as Json;
  return {
    orderId: requireField(operation, body, 'order_id', 'string'),
    status: requireField(operation, body, 'status', 'string'),
    fraudStatus: requireField(operation, body, 'fraud_status', 'string'),
    orderAmount: requireField(operation, body, 'order_amount', 'number'),
    originalOrderAmount: json.original_order_amount as number | undefined,
    capturedAmount: Number(json.captured_amount ?? 0),
    refundedAmount: json.refunded_amount as number | undefined,
    remainingAuthorizedAmount: json.remaining_authorized_amount as number | undefined,
    purchaseCurrency: String(json.purchase_currency ?? ''),
    orderLines: Array.isArray(json.order_lines) ? (json.order_lines as Json[]).map(orderLineFromWire) : [],
    merchantReference1: json.merchant_reference1 as string | undefined,
    merchantReference2: json.merchant_reference2 as string | undefined,
    expiresAt: json.expires_at as string | undefined,
    createdAt: json.created_at as string | undefined,
    captures: Array.isArray(json.captures) ? (json.captures as Json[]).map(captureFromWire) : [],
    refunds: Array.isArray(json.refunds) ? (json.refunds as Json[]).map(refundFromWire) : [],
  };
}

export function shippingInfoToWire(info: KlarnaShippingInfo): Json {
  return compact({
    shipping_company: info.shippingCompany,
    shipping_method: info.shippingMethod,
    tracking_number: info.trackingNumber,
    tracking_uri: info.trackingUri,
    return_shipping_company: info.returnShippingCompany,
    return_tracking_number: info.returnTrackingNumber,
    return_tracking_uri: info.returnTrackingUri,
  });
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function shippingInfoFromWire(info: Json): KlarnaShippingInfo {
  return {
    shippingCompany: String(info.shipping_company ?? ''),
    shippingMethod: optionalString(info.shipping_method),
    trackingNumber: String(info.tracking_number ?? ''),
    trackingUri: optionalString(info.tracking_uri),
    returnShippingCompany: optionalString(info.return_shipping_company),
    returnTrackingNumber: optionalString(info.return_tracking_number),
    returnTrackingUri: optionalString(info.return_tracking_uri),
  };
}

function captureFromWire(capture: Json): KlarnaCapture {
  return {
    captureId: String(capture.capture_id ?? ''),
    capturedAmount: Number(capture.captured_amount ?? 0),
    capturedAt: optionalString(capture.captured_at),
    description: optionalString(capture.description),
    reference: optionalString(capture.reference),
    refundedAmount: Number(capture.refunded_amount ?? 0),
    orderLines: Array.isArray(capture.order_lines) ? (capture.order_lines as Json[]).map(orderLineFromWire) : [],
    shippingInfo: Array.isArray(capture.shipping_info)
      ? (capture.shipping_info as Json[]).map(shippingInfoFromWire)
      : [],
  };
}

function refundFromWire(refund: Json): KlarnaRefund {
  return {
    refundId: String(refund.refund_id ?? ''),
    refundedAmount: Number(refund.refunded_amount ?? 0),
    refundedAt: optionalString(refund.refunded_at),
    description: optionalString(refund.description),
    reference: optionalString(refund.reference),
    orderLines: Array.isArray(refund.order_lines) ? (refund.order_lines as Json[]).map(orderLineFromWire) : [],
  };
}

/** Read session: what Klarna holds for it (compared with our cart after an update whose outcome was unknown). */
export function sessionFromWire(operation: string, body: unknown): KlarnaSessionView {
  const json = body as Json;
  return {
    status: requireField(operation, body, 'status', 'string'),
    expiresAt: json.expires_at as string | undefined,
    purchaseCurrency: json.purchase_currency as string | undefined,
    orderAmount: json.order_amount as number | undefined,
    orderTaxAmount: json.order_tax_amount as number | undefined,
    orderLines: Array.isArray(json.order_lines) ? (json.order_lines as Json[]).map(orderLineFromWire) : [],
    authorizationToken: json.authorization_token as string | undefined,
  };
}
