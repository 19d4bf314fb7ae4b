import type {
  CreatedKlarnaSession,
  KlarnaAuthorizationUpdate,
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
}
