/**
 * Domain errors: a stable machine-readable `code`, no knowledge of HTTP. The global filter
 * (http-error.filter.ts) maps each code to its status.
 */
export interface FieldError {
  field: string;
  message: string;
  /** Bulk input (the catalog import): the line of a CSV file or the index in a JSON array. */
  row?: number;
}

export abstract class DomainError extends Error {
  abstract readonly code: string;
  correlationId?: string;
  /** Fields the error is about, answered as `errors`. */
  readonly errors?: FieldError[];
  /** Seconds after which the same request may succeed; sent as `Retry-After`. */
  retryAfterSeconds?: number;
  /** Machine-readable detail of the refusal, answered as `details` (e.g. the lines CART_CHANGED changed). */
  details?: unknown;
  /** Why, as one machine-readable word, answered as `reason` (e.g. DISCOUNT_CODE_INVALID `expired`). */
  reason?: string;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailedError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
  constructor(override readonly errors: FieldError[]) {
    super(errors.map((error) => `${error.field}: ${error.message}`).join('; '));
  }
}

export class NotFoundError extends DomainError {
  constructor(
    readonly code:
      | 'CART_NOT_FOUND'
      | 'ITEM_NOT_FOUND'
      | 'NO_KLARNA_SESSION'
      | 'ORDER_NOT_FOUND'
      | 'PRODUCT_NOT_FOUND'
      | 'CAPTURE_NOT_FOUND'
      | 'SHIPPING_METHOD_NOT_FOUND'
      | 'DISCOUNT_CODE_NOT_FOUND'
      | 'EVENT_NOT_FOUND',
    message: string,
  ) {
    super(message);
  }
}

export class ConflictError extends DomainError {
  constructor(
    readonly code:
      | 'CART_LOCKED'
      | 'CART_EMPTY'
      | 'ORDER_IN_PROGRESS'
      | 'REAUTHORIZATION_REQUIRED'
      | 'ALREADY_ORDERED'
      | 'KLARNA_REFUSED'
      | 'KLARNA_ORDER_MISMATCH'
      | 'ORDER_NOT_MODIFIABLE'
      | 'ORDER_NOT_CAPTURABLE'
      | 'ORDER_NOT_REFUNDABLE'
      | 'TOKENIZATION_NOT_REQUESTED'
      | 'SHIPPING_REQUIRED',
    message: string,
    correlationId?: string,
  ) {
    super(message);
    this.correlationId = correlationId;
  }
}

export class UnprocessableError extends DomainError {
  constructor(
    readonly code:
      'AUTHORIZATION_INVALID' | 'KLARNA_REJECTED' | 'IDEMPOTENCY_KEY_REUSED' | 'SHIPPING_METHOD_UNAVAILABLE',
    message: string,
    correlationId?: string,
  ) {
    super(message);
    this.correlationId = correlationId;
  }
}

export class UnauthorizedError extends DomainError {
  readonly code = 'UNAUTHORIZED';
}

/** Klarna could not be reached or answered 5xx where the caller must wait and try again. */
export class KlarnaUnavailableError extends DomainError {
  readonly code = 'KLARNA_UNAVAILABLE';
  constructor(message: string, correlationId?: string) {
    super(message);
    this.correlationId = correlationId;
  }
}

/** Too many requests from one client (or for one cart); the answer carries `Retry-After`. */
export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED';
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Too many requests for one cart are already waiting in this instance (CART_QUEUE_DEPTH). */
export class CartBusyError extends DomainError {
  readonly code = 'CART_BUSY';
  constructor(cartId: string, retryAfterSeconds: number) {
    super(`Cart ${cartId} has too many changes waiting; try again in ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * PostgreSQL cannot be reached (down, restarting, connection lost: SERVICE_UNAVAILABLE), cannot give a
 * connection or finish a transaction in time (SERVICE_BUSY), or this instance is shutting down
 * (SHUTTING_DOWN). Always worth retrying, here or on another instance.
 */
export class ServiceUnavailableError extends DomainError {
  constructor(
    readonly code: 'SERVICE_UNAVAILABLE' | 'SERVICE_BUSY' | 'SHUTTING_DOWN',
    message: string,
    retryAfterSeconds: number,
  ) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A reference the catalog does not have, or has switched off (inactive). */
export class UnknownProductError extends DomainError {
  readonly code = 'UNKNOWN_PRODUCT';
  override readonly errors: FieldError[];
  constructor(readonly reference: string) {
    super(`Product ${JSON.stringify(reference)} is not in the catalog`);
    this.errors = [{ field: 'reference', message: 'is not in the catalog' }];
  }
}

/** The catalog has the product, but no price in the cart's currency (or no tax rate for its country). */
export class NotSoldInMarketError extends DomainError {
  readonly code = 'NOT_SOLD_IN_MARKET';
  override readonly errors: FieldError[];
  constructor(
    readonly reference: string,
    country: string,
    currency: string,
  ) {
    super(`Product ${JSON.stringify(reference)} is not sold in ${country} / ${currency}`);
    this.errors = [{ field: 'reference', message: `is not sold in ${country} / ${currency}` }];
  }
}

/** The shop's own catalog (CATALOG_URL) is down, slower than CATALOG_TIMEOUT_MS, or answered something unreadable. */
export class CatalogUnavailableError extends DomainError {
  readonly code = 'CATALOG_UNAVAILABLE';
}

/** With CATALOG_URL set, the shop's own catalog is the truth: it is neither listed nor managed here. */
export class CatalogExternalError extends DomainError {
  readonly code = 'CATALOG_EXTERNAL';
}

/**
 * The cart changed under the shopper's authorization because the server priced it again (a new price, a product
 * no longer sold): the order is not placed; the cart was re-priced and pushed to Klarna, the shopper reauthorizes.
 */
export class CartChangedError extends DomainError {
  readonly code = 'CART_CHANGED';
  constructor(changes: object[]) {
    super('The cart changed since it was authorized (prices or availability); review it and authorize again');
    this.details = { changes };
  }
}

/** A discount code that does not apply to the cart; `reason` says why. Nothing is written. */
export class DiscountCodeInvalidError extends DomainError {
  readonly code = 'DISCOUNT_CODE_INVALID';
  constructor(override readonly reason: string) {
    super(`The discount code does not apply (${reason})`);
  }
}

/** Too many failed discount-code attempts on one cart: codes must not be guessable by brute force. */
export class TooManyAttemptsError extends DomainError {
  readonly code = 'TOO_MANY_ATTEMPTS';
  constructor(retryAfterSeconds: number) {
    super(`Too many invalid discount codes for this cart; try again in ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
