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
 */
export abstract class KlarnaGateway {
  /** Payments: create session. */
  abstract createSession(request: KlarnaSessionRequest): Promise<CreatedKlarnaSession>;
  /** Payments: read session. */
  abstract readSession(sessionId: string): Promise<KlarnaSessionView>;
  /** Payments: update session (Klarna answers 204). Returns Klarna's correlation id. */
  abstract updateSession(sessionId: string, request: KlarnaSessionRequest): Promise<string | undefined>;
  /** Payments: create an order from an authorization token (single use). */
  abstract placeOrder(authorizationToken: string, request: KlarnaOrderRequest): Promise<PlacedKlarnaOrder>;
  /** Payments: release an authorization that will not become an order. */
  abstract cancelAuthorization(authorizationToken: string): Promise<void>;
  /** Payments: a customer token for recurring purchases. */
  abstract createCustomerToken(
    authorizationToken: string,
    request: KlarnaCustomerTokenRequest,
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
