import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { RequestMethod } from '@nestjs/common';
import { pino, type LoggerOptions } from 'pino';
import { loggerParams, requestId, requestIdGenerator } from './logging.js';

describe('log redaction', () => {
  it('never writes shoppers’ personal data, tokens or credentials', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    // The service's own settings (what LoggerModule is given), not a logger built here from the path list.
    const { pinoHttp } = loggerParams('info') as { pinoHttp: LoggerOptions };
    const log = pino({ level: pinoHttp.level, redact: pinoHttp.redact }, sink);
    log.info({
      event: 'test',
      cart: {
        billingAddress: { email: 'shopper@example.com', streetAddress: 'Sveavägen 1' },
        customer: { dateOfBirth: '1980-01-31' },
        clientToken: 'client-token-secret',
      },
      klarna: { authorization_token: 'auth-token-secret', password: 'api-secret', phone: '+46701234567' },
      req: { headers: { authorization: 'Basic c2VjcmV0' } },
    });
    const written = lines.join('');
    for (const secret of [
      'shopper@example.com',
      'Sveavägen',
      '1980-01-31',
      'client-token-secret',
      'auth-token-secret',
      'api-secret',
      '+46701234567',
      'c2VjcmV0',
    ]) {
      expect(written).not.toContain(secret);
    }
    expect(written).toContain('[redacted]');
    expect(written).toContain('"event":"test"');
  });
});

describe('request logging', () => {
  // The line per request is `info`: where the level drops it (the benchmark runs LOG_LEVEL=warn), the middleware
  // that would build it is not mounted. test/infra/start-up.e2e-spec.ts shows the lines at `info`.
  it('is mounted on every path at info and below, and nowhere above', () => {
    for (const level of ['trace', 'debug', 'info']) {
      expect(loggerParams(level).forRoutes).toEqual([{ path: '/{*splat}', method: RequestMethod.ALL }]);
    }
    for (const level of ['warn', 'error', 'fatal', 'silent']) {
      expect(loggerParams(level).forRoutes).toEqual([]);
    }
  });

  it("gives requests a UUID (or the caller's x-request-id) only where their lines are written", () => {
    for (const level of ['trace', 'debug', 'info']) expect(requestIdGenerator(level)).toBe(requestId);
    for (const level of ['warn', 'error', 'fatal', 'silent']) expect(requestIdGenerator(level)).toBeUndefined();
  });
});
