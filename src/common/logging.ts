import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';

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

export function loggerParams(level: string, pretty = false): Params {
  return {
    pinoHttp: {
      level,
      transport: prettyTransport(pretty),
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      genReqId: (request: IncomingMessage) => {
        const header = request.headers['x-request-id'];
        return typeof header === 'string' && /^[\w-]{1,128}$/.test(header) ? header : randomUUID();
      },
      customProps: () => ({ service: 'klarna-checkout-bff' }),
      // Query strings carry webhook signatures: log the path only.
      serializers: {
        req: (request: { id: string; method: string; url: string }) => ({
          id: request.id,
          method: request.method,
          path: request.url.split('?')[0],
        }),
      },
      autoLogging: { ignore: (request) => request.url === '/health/live' || request.url === '/metrics' },
    },
  };
}
