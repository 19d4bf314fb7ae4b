import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { classifyDatabaseError } from '../database/database-errors.js';
import { DomainError, ServiceUnavailableError } from './errors.js';

export const STATUS_BY_CODE: Record<string, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  CART_NOT_FOUND: 404,
  ITEM_NOT_FOUND: 404,
  NO_KLARNA_SESSION: 404,
  ORDER_NOT_FOUND: 404,
  PRODUCT_NOT_FOUND: 404,
  CAPTURE_NOT_FOUND: 404,
  SHIPPING_METHOD_NOT_FOUND: 404,
  DISCOUNT_CODE_NOT_FOUND: 404,
  EVENT_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  CART_LOCKED: 409,
  CART_EMPTY: 409,
  ORDER_IN_PROGRESS: 409,
  CART_CHANGED: 409,
  REAUTHORIZATION_REQUIRED: 409,
  ALREADY_ORDERED: 409,
  KLARNA_REFUSED: 409,
  KLARNA_ORDER_MISMATCH: 409,
  ORDER_NOT_MODIFIABLE: 409,
  ORDER_NOT_CAPTURABLE: 409,
  ORDER_NOT_REFUNDABLE: 409,
  TOKENIZATION_NOT_REQUESTED: 409,
  SHIPPING_REQUIRED: 409,
  AUTHORIZATION_INVALID: 422,
  KLARNA_REJECTED: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  UNKNOWN_PRODUCT: 422,
  NOT_SOLD_IN_MARKET: 422,
  SHIPPING_METHOD_UNAVAILABLE: 422,
  DISCOUNT_CODE_INVALID: 422,
  RATE_LIMITED: 429,
  CART_BUSY: 429,
  TOO_MANY_ATTEMPTS: 429,
  CATALOG_EXTERNAL: 501,
  KLARNA_UNAVAILABLE: 503,
  SERVICE_UNAVAILABLE: 503,
  SERVICE_BUSY: 503,
  SHUTTING_DOWN: 503,
  CATALOG_UNAVAILABLE: 503,
};

/** How long a client should wait when PostgreSQL is down or busy: about one reconnect attempt. */
const DATABASE_RETRY_AFTER_SECONDS = 2;

export interface ErrorBody {
  code: string;
  message: string;
  errors?: { field: string; message: string; row?: number }[];
  correlationId?: string;
  /** Machine-readable detail of a refusal, e.g. `{ changes }` of CART_CHANGED. */
  details?: unknown;
  /** One word saying why, e.g. `expired` of DISCOUNT_CODE_INVALID. */
  reason?: string;
}

/**
 * The one place errors become HTTP answers: `{ code, message, errors?, correlationId?, details? }`.
 * Unknown errors are logged once and answer 500 without internals.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const error = this.asDatabaseTrouble(exception) ?? exception;
    const [status, body] = this.toResponse(error);
    if (error instanceof DomainError && error.retryAfterSeconds !== undefined) {
      void reply.header('retry-after', String(error.retryAfterSeconds));
    }
    void reply.status(status).send(body);
  }

  /**
   * A lost or refused database connection is an outage, not a bug: 503 with `Retry-After` and no driver message
   * (those name hosts, ports and SQL). Logged once here with the error's code only.
   */
  private asDatabaseTrouble(exception: unknown): ServiceUnavailableError | undefined {
    if (exception instanceof DomainError || exception instanceof HttpException) return undefined;
    const trouble = classifyDatabaseError(exception);
    if (!trouble) return undefined;
    const code = (exception as { code?: unknown }).code;
    this.logger.warn({ event: `database.${trouble}`, code: typeof code === 'string' ? code : undefined });
    return trouble === 'busy'
      ? new ServiceUnavailableError(
          'SERVICE_BUSY',
          'The service is busy; try again shortly',
          DATABASE_RETRY_AFTER_SECONDS,
        )
      : new ServiceUnavailableError(
          'SERVICE_UNAVAILABLE',
          'The service is temporarily unavailable; try again shortly',
          DATABASE_RETRY_AFTER_SECONDS,
        );
  }

  private toResponse(exception: unknown): [number, ErrorBody] {
    if (exception instanceof DomainError) {
      const body: ErrorBody = { code: exception.code, message: exception.message };
      if (exception.errors) body.errors = exception.errors;
      if (exception.correlationId) body.correlationId = exception.correlationId;
      if (exception.details !== undefined) body.details = exception.details;
      if (exception.reason !== undefined) body.reason = exception.reason;
      return [STATUS_BY_CODE[exception.code] ?? 500, body];
    }
    // Nest hands Fastify's own refusals (body too large, bad JSON) over as HttpExceptions caused by them.
    const fastifyError = asFastifyClientError(exception instanceof HttpException ? exception.cause : exception);
    if (fastifyError) return [400, validationBody(fastifyError.field, fastifyError.message)];
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 404) return [404, { code: 'ROUTE_NOT_FOUND', message: 'No such route' }];
      if (status === 503) return [503, { code: 'SERVICE_UNAVAILABLE', message: 'Service unavailable' }];
      return [status, { code: `HTTP_${status}`, message: exception.message }];
    }
    this.logger.error({ event: 'request.failed', err: exception }, 'Unhandled error');
    return [500, { code: 'INTERNAL_ERROR', message: 'Internal server error' }];
  }
}

function validationBody(field: string, message: string): ErrorBody {
  return { code: 'VALIDATION_FAILED', message: `${field}: ${message}`, errors: [{ field, message }] };
}

/**
 * Fastify refuses some requests before any controller runs (body too large, unsupported content type,
 * malformed JSON). The REST contract answers all bad input with 400 VALIDATION_FAILED naming the field.
 */
function asFastifyClientError(exception: unknown): { field: string; message: string } | undefined {
  const code = (exception as { code?: unknown })?.code;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { field: 'body', message: 'request body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { field: 'content-type', message: 'must be application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { field: 'body', message: 'must not be empty' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { field: 'body', message: 'must be valid JSON' };
    default:
      if (exception instanceof SyntaxError) return { field: 'body', message: 'must be valid JSON' };
      return undefined;
  }
}
