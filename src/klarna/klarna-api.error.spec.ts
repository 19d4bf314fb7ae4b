import { describe, expect, it } from '@jest/globals';
import { KlarnaApiError } from './klarna-api.error.js';

const error = (status: number | undefined, failure: KlarnaApiError['failure'] = 'http') =>
  new KlarnaApiError('createOrder', status, 'CODE', [], undefined, failure);

describe('KlarnaApiError', () => {
  it.each([
    ['a timeout', error(undefined, 'timeout')],
    ['a cut connection', error(undefined, 'network')],
    ['a 500', error(500)],
    ['a 503', error(503)],
    ['an unreadable 2xx', error(200, 'unreadable')],
  ])('treats %s as an unknown outcome worth retrying with the same key', (_name, failure) => {
    expect(failure.outcomeUnknown).toBe(true);
    expect(failure.isTransient).toBe(true);
  });

  it('retries a 429 without counting it as an unknown outcome (Klarna refused to start)', () => {
    expect(error(429).isTransient).toBe(true);
    expect(error(429).outcomeUnknown).toBe(false);
  });

  it.each([400, 403, 404, 409])('treats a %i as a definite refusal', (status) => {
    expect(error(status).isTransient).toBe(false);
    expect(error(status).outcomeUnknown).toBe(false);
  });

  it('knows Not Found only from an answer', () => {
    expect(error(404).isNotFound).toBe(true);
    expect(error(undefined, 'network').isNotFound).toBe(false);
  });
});
