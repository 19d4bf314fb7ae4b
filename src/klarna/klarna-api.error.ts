/**
 * Every failed Klarna call becomes this one error. `status` is Klarna's HTTP status, or undefined when no
 * answer came (timeout, connection refused or cut).
 */
export class KlarnaApiError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number | undefined,
    readonly errorCode: string,
    readonly errorMessages: string[],
    readonly correlationId: string | undefined,
    readonly failure: 'http' | 'timeout' | 'network',
  ) {
    super(`Klarna ${operation} failed: ${status ?? failure} ${errorCode} ${errorMessages.join('; ')}`.trim());
    this.name = 'KlarnaApiError';
  }

  /** Worth retrying later: no answer, or a Klarna server error. */
  get isTransient(): boolean {
    return this.status === undefined || this.status >= 500 || this.status === 429;
  }

  /** No answer at all: the call may or may not have taken effect at Klarna. */
  get outcomeUnknown(): boolean {
    return this.status === undefined || this.status >= 500;
  }

  get isNotFound(): boolean {
    return this.status === 404;
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
