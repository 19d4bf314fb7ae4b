import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { levels } from 'pino';

/**
 * Paths pino removes from every log line: credentials and shoppers' personal data. Request and
 * response bodies are never logged; these guard the objects our own log calls might carry.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.query.token',
  'req.query.sig',
  'res.headers["set-cookie"]',
  '*.password',
  '*.authorization',
  '*.clientToken',
  '*.client_token',
  '*.authorizationToken',
  '*.authorization_token',
  '*.billingAddress',
  '*.shippingAddress',
  '*.billing_address',
  '*.shipping_address',
  '*.customer',
  '*.email',
  '*.phone',
  '*.dateOfBirth',
  '*.date_of_birth',
];

/** pino-pretty for a developer's terminal (AppConfig.prettyLogs); JSON lines everywhere else. */
export function prettyTransport(pretty: boolean): { target: string; options: Record<string, unknown> } | undefined {
  return pretty
    ? {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' },
      }
    : undefined;
}

/** The caller's `x-request-id` when it is a sane token, else a new UUID. */
export function requestId(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  return typeof header === 'string' && /^[\w-]{1,128}$/.test(header) ? header : randomUUID();
}

/**
 * Where nestjs-pino's request middleware (one line per request, and the request id on every line logged while
 * serving it) is mounted. Its default path `{/*splat}` has no leading slash, and @fastify/middie 9.3 prefixes one
 * (`/{/*splat}`), which matches `/` alone: no request was ever logged. With a leading slash it matches every path.
 * At `warn` and above (the benchmark runs `LOG_LEVEL=warn`) pino would drop the line, so the middleware (a request id,
 * a child logger and a listener per request) is not mounted at all.
 */
export function requestLoggingRoutes(level: string): NonNullable<Params['forRoutes']> {
  return logsRequests(level) ? [{ path: '/{*splat}', method: RequestMethod.ALL }] : [];
}

/** Whether LOG_LEVEL writes a line per request (info and below). */
export function logsRequests(level: string): boolean {
  return (levels.values[level] ?? Infinity) <= levels.values.info;
}

/**
 * Fastify's request id: `requestId` when requests are logged. Above that level no line carries it, so Fastify's own
 * counter saves a UUID per request (issue 14).
 */
export function requestIdGenerator(level: string): typeof requestId | undefined {
  return logsRequests(level) ? requestId : undefined;
}

export function loggerParams(level: string, pretty = false): Params {
  return {
    forRoutes: requestLoggingRoutes(level),
    pinoHttp: {
      level,
      transport: prettyTransport(pretty),
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      genReqId: requestId,
      customProps: () => ({ service: 'klarna-checkout-bff' }),
      // Query strings carry webhook signatures: log the path only.
      serializers: {
        req: (request: { id: string; method: string; url: string }) => ({
          id: request.id,
          method: request.method,
          path: request.url.split('?')[0],
        }),
      },
      // Under Fastify, middie has cut the mount path off `url` by now; `originalUrl` is what was asked for.
      autoLogging: {
        ignore: (request: IncomingMessage & { originalUrl?: string }) =>
          ['/health/live', '/metrics'].includes((request.originalUrl ?? request.url ?? '').split('?')[0]),
      },
    },
  };
}
