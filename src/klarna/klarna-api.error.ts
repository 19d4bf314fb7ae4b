/**
 * Every failed Klarna call becomes this one error. `status` is Klarna's HTTP status, or undefined when no
 * answer came (timeout, connection refused or cut). `unreadable`: Klarna answered 2xx with a body we could not
 * read, so the call did take effect.
 */
export class KlarnaApiError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number | undefined,
    readonly errorCode: string,
    readonly errorMessages: string[],
    readonly correlationId: string | undefined,
    readonly failure: 'http' | 'timeout' | 'network' | 'unreadable',
  ) {
    super(`Klarna ${operation} failed: ${status ?? failure} ${errorCode} ${errorMessages.join('; ')}`.trim());
    this.name = 'KlarnaApiError';
  }

  /** Worth retrying (with the same idempotency key): no answer, a server error, rate limiting, an unreadable answer. */
  get isTransient(): boolean {
    return this.outcomeUnknown || this.status === 429;
  }

  /**
   * Klarna may have done it: no answer, a server error, or a 2xx we could not read. (A 429 is a refusal to
   * start, so it is transient but not unknown.)
   */
  get outcomeUnknown(): boolean {
    return this.status === undefined || this.status >= 500 || this.failure === 'unreadable';
  }

  get isNotFound(): boolean {
    return this.status === 404 && this.failure === 'http';
  }

  /** What logs and API answers may carry: never the request, which can hold personal data. */
  toLog(): Record<string, unknown> {
    return {
      operation: this.operation,
      status: this.status,
      errorCode: this.errorCode,
      errorMessages: this.errorMessages,
      correlationId: this.correlationId,
      failure: this.failure,
    };
  }
}
