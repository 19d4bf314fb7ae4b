/**
 * Domain errors: a stable machine-readable `code`, no knowledge of HTTP. The global filter
 * (http-error.filter.ts) maps each code to its status.
 */
export interface FieldError {
  field: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: string;
  correlationId?: string;
  /** Seconds after which the same request may succeed; sent as `Retry-After`. */
  retryAfterSeconds?: number;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailedError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
  constructor(readonly errors: FieldError[]) {
    super(errors.map((error) => `${error.field}: ${error.message}`).join('; '));
  }
}

export class NotFoundError extends DomainError {
  constructor(
    readonly code: 'CART_NOT_FOUND' | 'ITEM_NOT_FOUND' | 'NO_KLARNA_SESSION' | 'ORDER_NOT_FOUND',
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
      | 'REAUTHORIZATION_REQUIRED'
      | 'ALREADY_ORDERED'
      | 'KLARNA_REFUSED'
      | 'ORDER_NOT_MODIFIABLE',
    message: string,
    correlationId?: string,
  ) {
    super(message);
    this.correlationId = correlationId;
  }
}

export class UnprocessableError extends DomainError {
  constructor(
    readonly code: 'AUTHORIZATION_INVALID' | 'KLARNA_REJECTED',
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
