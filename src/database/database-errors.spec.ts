import { describe, expect, it } from '@jest/globals';
import { classifyDatabaseError } from './database-errors.js';

function withCode(code: string, message = 'x'): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyDatabaseError', () => {
  it.each([
    ['Prisma P1001', withCode('P1001')],
    ['Prisma P1017', withCode('P1017')],
    ['PostgreSQL admin shutdown 57P01', withCode('57P01')],
    ['PostgreSQL starting up 57P03', withCode('57P03')],
    ['connection exception 08006', withCode('08006')],
    ['a refused socket', withCode('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:5432')],
    ['node-postgres losing its connection', new Error('Connection terminated unexpectedly')],
    ['an adapter error kind', Object.assign(new Error('x'), { cause: { kind: 'DatabaseNotReachable' } })],
    [
      "Prisma's known error wrapping the adapter's",
      Object.assign(withCode('P2010'), { meta: { driverAdapterError: { cause: { kind: 'ConnectionClosed' } } } }),
    ],
    [
      'a socket error deep in the cause chain',
      new Error('outer', { cause: new Error('inner', { cause: withCode('ECONNRESET') }) }),
    ],
    ['Prisma initialization', Object.assign(new Error('x'), { name: 'PrismaClientInitializationError' })],
  ])('says unavailable for %s', (_label, error) => {
    expect(classifyDatabaseError(error)).toBe('unavailable');
  });

  it.each([
    ['pool timeout P2024', withCode('P2024')],
    ['transaction could not start P2028', withCode('P2028')],
    ['too many connections 53300', withCode('53300')],
    ['lock_timeout 55P03', withCode('55P03')],
    ['no pooled connection within the acquire timeout', new Error('timeout exceeded when trying to connect')],
  ])('says busy for %s', (_label, error) => {
    expect(classifyDatabaseError(error)).toBe('busy');
  });

  it.each([
    ['a unique violation', withCode('P2002')],
    ['a plain bug', new TypeError('undefined is not a function')],
    ['a string', 'boom'],
    ['undefined', undefined],
  ])('leaves %s alone', (_label, error) => {
    expect(classifyDatabaseError(error)).toBeUndefined();
  });

  it('stops on a cause cycle', () => {
    const a: { cause?: unknown } & Error = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(classifyDatabaseError(a)).toBeUndefined();
  });
});
