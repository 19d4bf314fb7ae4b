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
      | 'ORDER_IN_PROGRESS'
      | 'REAUTHORIZATION_REQUIRED'
      | 'ALREADY_ORDERED'
      | 'KLARNA_REFUSED'
      | 'KLARNA_ORDER_MISMATCH'
      | 'ORDER_NOT_MODIFIABLE'
      | 'TOKENIZATION_NOT_REQUESTED',
    message: string,
    correlationId?: string,
  ) {
    super(message);
    this.correlationId = correlationId;
  }
}

export class UnprocessableError extends DomainError {
  constructor(
    readonly code: 'AUTHORIZATION_INVALID' | 'KLARNA_REJECTED' | 'IDEMPOTENCY_KEY_REUSED',
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

/** Our own dependency (the database) failed where the caller can try again shortly; nothing internal is told. */
export class ServiceUnavailableError extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE';
}
