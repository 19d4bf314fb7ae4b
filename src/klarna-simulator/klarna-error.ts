/** A Klarna error answer: the HTTP status and Klarna's `{ error_code, error_messages }` (the correlation id is added on send). */
export class KlarnaError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly errorMessages: string[],
  ) {
    super(`${status} ${errorCode}: ${errorMessages.join('; ')}`);
    this.name = 'KlarnaError';
  }
}

export interface KlarnaErrorBody {
  correlation_id: string;
  error_code: string;
  error_messages: string[];
}

export function errorBody(correlationId: string, errorCode: string, errorMessages: string[]): KlarnaErrorBody {
  return { correlation_id: correlationId, error_code: errorCode, error_messages: errorMessages };
}

/** Klarna KP's answer for an unknown, expired or completed session (docs: errors-in-klarna-payments). */
export const invalidSession = (): KlarnaError => new KlarnaError(404, 'NOT_FOUND', ['Invalid session id']);

export const invalidAuthorizationToken = (): KlarnaError =>
  new KlarnaError(404, 'NOT_FOUND', ['Invalid authorization token']);

export const noSuchOrder = (orderId: string): KlarnaError =>
  new KlarnaError(404, 'NO_SUCH_ORDER', [`Order ${orderId} not found`]);

export const badValues = (messages: string[]): KlarnaError => new KlarnaError(400, 'BAD_VALUE', messages);
