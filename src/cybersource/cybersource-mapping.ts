/**
 * Our Klarna types -> Simple Order API requests (FACTS §2-4). Pure: no HTTP, no Nest, unit-tested against
 * golden XML fixtures (test/cybersource/fixtures).
 *
 * Order lines (Klarna's model: integer minor units, discounts as negative lines, US sales tax as one line):
 * - physical, digital, shipping_fee, gift_card, store_credit, surcharge lines -> `item` (unitPrice, quantity,
 *   productName, productSKU = reference, taxAmount, totalAmount); shipping is one more item, as both
 *   CyberSource plugins do. A line's own discount (Klarna total_discount_amount) goes to item_#_discountAmount
 *   and into purchaseTotals_discountAmount.
 * - discount lines -> coupon items (productCode=coupon, positive amounts) [SO-total].
 * - sales_tax lines (US) -> purchaseTotals_taxAmount, not items.
 *
 * Grand-total rule [SO-total]: grandTotal = Σ unitPrice × quantity of the non-coupon items
 * + purchaseTotals_taxAmount − Σ coupon items − purchaseTotals_discountAmount. We count a coupon once (as an
 * item), not again in discountAmount: the rule subtracts both, so a coupon in both would be subtracted twice.
 * Outside the US prices include tax and no purchaseTotals_taxAmount is sent, so the same rule gives the gross
 * total. `orderContent` checks the rule against Klarna's order_amount before anything is sent.
 */
import { SALES_TAX_MARKETS } from '../klarna/klarna-markets.js';
import type {
  KlarnaAddress,
  KlarnaCustomer,
  KlarnaOrderData,
  KlarnaOrderLine,
  KlarnaOrderRequest,
  KlarnaSessionRequest,
} from '../klarna/klarna.types.js';
import { toMajorUnits } from './currency.js';
import type { Fields, SimpleOrderRequest } from './simple-order-xml.js';

/** Klarna through CyberSource: apPaymentType KLI on every request. */
export const KLARNA_PAYMENT_TYPE = 'KLI';

/** The merchant's URLs in apSessionsService. Required fields; Klarna only redirects to them in the hosted-page flow. */
export interface MerchantRedirectUrls {
  successUrl: string;
  cancelUrl: string;
  failureUrl: string;
}

export class GrandTotalMismatchError extends Error {
  constructor(
    readonly grandTotal: number,
    readonly orderAmount: number,
  ) {
    super(`The items add up to ${grandTotal}, the order amount is ${orderAmount} (minor units)`);
  }
}

export interface OrderContent {
  billTo: Fields;
  shipTo?: Fields;
  item: Fields[];
  purchaseTotals: Fields;
}

/** Addresses, items and totals of a cart or order, in CyberSource's fields; throws GrandTotalMismatchError. */
export function orderContent(order: KlarnaOrderData): OrderContent {
  const currency = order.purchaseCurrency;
  const amount = (minor: number) => toMajorUnits(minor, currency);
  const salesTaxMarket = SALES_TAX_MARKETS.has(order.purchaseCountry);
  const items: Fields[] = [];
  let itemsGross = 0;
  let coupons = 0;
  let lineDiscounts = 0;
  let salesTax = 0;
  for (const line of order.orderLines) {
    if (line.type === 'sales_tax') {
      salesTax += line.totalAmount;
    } else if (line.type === 'discount' || line.totalAmount < 0) {
      coupons += Math.abs(line.totalAmount);
      items.push(
        compact({
          unitPrice: amount(Math.abs(line.unitPrice)),
          quantity: String(line.quantity),
          productCode: 'coupon',
          productName: line.name,
          productSKU: line.reference || undefined,
          taxAmount: amount(Math.abs(line.totalTaxAmount)),
          totalAmount: amount(Math.abs(line.totalAmount)),
        }),
      );
    } else {
      itemsGross += line.unitPrice * line.quantity;
      lineDiscounts += line.totalDiscountAmount;
      items.push(itemOf(line, amount));
    }
  }
  const grandTotal = itemsGross + salesTax - coupons - lineDiscounts;
  if (grandTotal !== order.orderAmount) throw new GrandTotalMismatchError(grandTotal, order.orderAmount);
  const purchaseTotals = compact({
    currency,
    discountAmount: lineDiscounts > 0 ? amount(lineDiscounts) : undefined,
    taxAmount: salesTaxMarket || salesTax > 0 ? amount(salesTax) : undefined,
    grandTotalAmount: amount(order.orderAmount),
  });
  return {
    billTo: billToOf(order.billingAddress, order.customer, order.purchaseCountry, order.locale),
    shipTo: order.shippingAddress ? addressFields(order.shippingAddress) : undefined,
    item: items,
    purchaseTotals,
  };
}

function itemOf(line: KlarnaOrderLine, amount: (minor: number) => string): Fields {
  return compact({
    unitPrice: amount(line.unitPrice),
    quantity: String(line.quantity),
    productName: line.name,
    productSKU: line.reference || undefined,
    taxAmount: amount(line.totalTaxAmount),
    totalAmount: amount(line.totalAmount),
    discountAmount: line.totalDiscountAmount > 0 ? amount(line.totalDiscountAmount) : undefined,
  });
}

/**
 * billTo: the billing address when the cart has one (the shopper gave it to the shop for this checkout),
 * otherwise only the country [HYB "without exposing Delivery and Payment Address"]; always the language.
 */
function billToOf(
  address: KlarnaAddress | undefined,
  customer: KlarnaCustomer | undefined,
  purchaseCountry: string,
  locale: string,
): Fields {
  return compact({
    ...(address ? addressFields(address) : {}),
    country: address?.country ?? purchaseCountry,
    // CyberSource's example writes the date of birth as YYYYMMDD; Klarna's is YYYY-MM-DD.
    dateOfBirth: customer?.dateOfBirth?.replaceAll('-', ''),
    language: locale,
  });
}

function addressFields(address: KlarnaAddress): Fields {
  return compact({
    title: address.title,
    firstName: address.givenName,
    lastName: address.familyName,
    street1: address.streetAddress,
    street2: address.streetAddress2,
    city: address.city,
    state: address.region,
    postalCode: address.postalCode,
    country: address.country,
    company: address.organizationName,
    phoneNumber: address.phone,
    email: address.email,
  });
}

/**
 * Create (sessionsType N, inline flow: the reply's processorToken is the widget's client token) or update
 * (sessionsType U with the create reply's requestID, allowed for 48 h).
 */
export function sessionRequest(
  merchantId: string,
  request: KlarnaSessionRequest,
  urls: MerchantRedirectUrls,
  session: { create: true } | { create: false; sessionsRequestID: string },
  fallbackReference: string,
): SimpleOrderRequest {
  return {
    merchantID: merchantId,
    merchantReferenceCode: request.merchantReference1 ?? fallbackReference,
    ...orderContent(request),
    apPaymentType: KLARNA_PAYMENT_TYPE,
    apSessionsService: compact({
      cancelURL: urls.cancelUrl,
      successURL: urls.successUrl,
      failureURL: urls.failureUrl,
      sessionsType: session.create ? 'N' : 'U',
      sessionsRequestID: session.create ? undefined : session.sessionsRequestID,
      paymentFlowMode: session.create ? 'inline' : undefined,
    }),
  };
}

/** The authorization that creates the Klarna order: the widget's token as preapprovalToken, the order again in full. */
export function authorizationRequest(
  merchantId: string,
  authorizationToken: string,
  order: KlarnaOrderRequest,
): SimpleOrderRequest {
  return {
    merchantID: merchantId,
    merchantReferenceCode: order.merchantReference1,
    ...orderContent(order),
    apPaymentType: KLARNA_PAYMENT_TYPE,
    apAuthService: { preapprovalToken: authorizationToken },
  };
}

export interface CaptureRequest {
  /** Minor units. */
  amount: number;
  currency: string;
  /** Our reference for the capture (merchantReferenceCode). */
  reference: string;
  /** Lines of what is shipped; optional (Klarna lists the order's lines when none are sent). */
  orderLines?: KlarnaOrderLine[];
  /** Tells Klarna no further capture follows. */
  isFinal?: boolean;
}

export function captureRequest(merchantId: string, authRequestId: string, capture: CaptureRequest): SimpleOrderRequest {
  const amount = (minor: number) => toMajorUnits(minor, capture.currency);
  return {
    merchantID: merchantId,
    merchantReferenceCode: capture.reference,
    item: capture.orderLines
      ?.filter((line) => line.type !== 'sales_tax')
      .map((line) =>
        itemOf(
          {
            ...line,
            unitPrice: Math.abs(line.unitPrice),
            totalAmount: Math.abs(line.totalAmount),
            totalTaxAmount: Math.abs(line.totalTaxAmount),
          },
          amount,
        ),
      ),
    purchaseTotals: { currency: capture.currency, grandTotalAmount: amount(capture.amount) },
    apPaymentType: KLARNA_PAYMENT_TYPE,
    apCaptureService: compact({
      authRequestID: authRequestId,
      isFinal: capture.isFinal === undefined ? undefined : String(capture.isFinal),
    }),
  };
}

export interface RefundRequest {
  amount: number;
  currency: string;
  reference: string;
  reason?: string;
}

/**
 * Refunds are keyed by the capture. The XSD has both apRefundService_captureRequestID (what the SFCC cartridge
 * sends) and _refundRequestID (what the SAP plugin sends); we send captureRequestID, the name that says what it is.
 */
export function refundRequest(merchantId: string, captureRequestId: string, refund: RefundRequest): SimpleOrderRequest {
  return {
    merchantID: merchantId,
    merchantReferenceCode: refund.reference,
    purchaseTotals: { currency: refund.currency, grandTotalAmount: toMajorUnits(refund.amount, refund.currency) },
    apPaymentType: KLARNA_PAYMENT_TYPE,
    apRefundService: compact({ captureRequestID: captureRequestId, reason: refund.reason }),
  };
}

export function reversalRequest(merchantId: string, authRequestId: string, reference: string): SimpleOrderRequest {
  return {
    merchantID: merchantId,
    merchantReferenceCode: reference,
    apPaymentType: KLARNA_PAYMENT_TYPE,
    apAuthReversalService: { authRequestID: authRequestId },
  };
}

/** Check status of a session (sessionsRequestID) or of an authorization, capture or refund (checkStatusRequestID). */
export function checkStatusRequest(
  merchantId: string,
  target: { sessionsRequestID: string } | { checkStatusRequestID: string },
  reference: string,
): SimpleOrderRequest {
  return {
    merchantID: merchantId,
    merchantReferenceCode: reference,
    apPaymentType: KLARNA_PAYMENT_TYPE,
    apCheckStatusService: { ...target },
  };
}

function compact(fields: Record<string, string | undefined>): Fields {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined && value !== ''),
  ) as Fields;
}
