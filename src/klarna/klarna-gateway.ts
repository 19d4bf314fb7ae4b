import type {
  CreatedKlarnaSession,
  KlarnaAuthorizationUpdate,
  KlarnaCaptureRequest,
  KlarnaCreatedItem,
  KlarnaCustomerDetailsUpdate,
  KlarnaMerchantReferencesUpdate,
  KlarnaRefundRequest,
  KlarnaShippingInfo,
  KlarnaCustomerToken,
  KlarnaCustomerTokenRequest,
  KlarnaManagedOrder,
  KlarnaOrderRequest,
  KlarnaSessionRequest,
  KlarnaSessionView,
  PlacedKlarnaOrder,
} from './klarna.types.js';

/**
 * Everything the service asks of Klarna, in Klarna's own terms. Implemented today by the direct REST
 * client (klarna-rest.gateway.ts); a Klarna-through-CyberSource implementation can take its place without
 * anything outside src/klarna knowing. Failures throw KlarnaApiError. Injected by this class.
 *
 * Writes take an idempotency key the caller stored before the first attempt (Klarna-Idempotency-Key: KP on
 * create session, create order and customer token; OM on every write): a retry with the same key after an
 * unknown outcome gets the answer of the one call Klarna executed.
 */
export abstract class KlarnaGateway {
  /**
   * Whether an order read (getOrder) names our merchant reference. Klarna's Order Management does; CyberSource's
   * check status does not, so an ops resolve through it is matched on amount and currency instead.
   */
  readonly ordersNameMerchantReference: boolean = true;

  /** Payments: create session. */
  abstract createSession(request: KlarnaSessionRequest, idempotencyKey: string): Promise<CreatedKlarnaSession>;
  /** Payments: read session. */
  abstract readSession(sessionId: string): Promise<KlarnaSessionView>;
  /** Payments: update session (Klarna answers 204). Returns Klarna's correlation id. */
  abstract updateSession(sessionId: string, request: KlarnaSessionRequest): Promise<string | undefined>;
  /** Payments: create an order from an authorization token (single use). */
  abstract placeOrder(
    authorizationToken: string,
    request: KlarnaOrderRequest,
    idempotencyKey: string,
  ): Promise<PlacedKlarnaOrder>;
  /** Payments: release an authorization that will not become an order. */
  abstract cancelAuthorization(authorizationToken: string): Promise<void>;
  /** Payments: a customer token for recurring purchases. */
  abstract createCustomerToken(
    authorizationToken: string,
    request: KlarnaCustomerTokenRequest,
    idempotencyKey: string,
  ): Promise<KlarnaCustomerToken>;
  /** Order Management: read an order. */
  abstract getOrder(orderId: string): Promise<KlarnaManagedOrder>;
  /** Order Management: update order amount (and replace, or with none sent delete, its lines). */
  abstract updateOrderAuthorization(
    orderId: string,
    update: KlarnaAuthorizationUpdate,
    idempotencyKey: string,
  ): Promise<string | undefined>;
  /** Order Management: cancel an order that has no captures. */
  abstract cancelOrder(orderId: string, idempotencyKey: string): Promise<string | undefined>;
  /** Order Management: capture (part of) the authorized amount; the id is Klarna's `Capture-Id`. */
  abstract createCapture(
    orderId: string,
    capture: KlarnaCaptureRequest,
    idempotencyKey: string,
  ): Promise<KlarnaCreatedItem>;
  /** Order Management: add shipping info (tracking) to a capture. Returns Klarna's correlation id. */
  abstract addCaptureShippingInfo(
    orderId: string,
    captureId: string,
    shippingInfo: KlarnaShippingInfo[],
    idempotencyKey: string,
  ): Promise<string | undefined>;
  /** Order Management: refund (part of) what was captured; the id is Klarna's `Refund-Id`. */
  abstract createRefund(
    orderId: string,
    refund: KlarnaRefundRequest,
    idempotencyKey: string,
  ): Promise<KlarnaCreatedItem>;
  /** Order Management: extend the authorization's expiry (today + the account's days, at most 180 after creation). */
  abstract extendAuthorizationTime(orderId: string, idempotencyKey: string): Promise<string | undefined>;
  /** Order Management: release what is left of the authorization after a partial capture. */
  abstract releaseRemainingAuthorization(orderId: string, idempotencyKey: string): Promise<string | undefined>;
  /** Order Management: replace the order's shipping (and/or billing) address. */
  abstract updateCustomerDetails(
    orderId: string,
    update: KlarnaCustomerDetailsUpdate,
    idempotencyKey: string,
  ): Promise<string | undefined>;
  /** Order Management: replace merchant references. */
  abstract updateMerchantReferences(
    orderId: string,
    update: KlarnaMerchantReferencesUpdate,
    idempotencyKey: string,
  ): Promise<string | undefined>;
}
