import { describe, expect, it } from '@jest/globals';
import { preparedStatementNames } from './statement-names.js';

describe('preparedStatementNames', () => {
  it('gives each parameterised SQL text one name, the same every time', () => {
    const nameOf = preparedStatementNames('prisma');
    const first = nameOf({ sql: 'SELECT * FROM cart WHERE id = $1', args: ['a'] });
    const second = nameOf({ sql: 'SELECT * FROM "order" WHERE id = $1', args: ['b'] });
    expect(first).toBe('prisma_0');
    expect(second).toBe('prisma_1');
    expect(nameOf({ sql: 'SELECT * FROM cart WHERE id = $1', args: ['c'] })).toBe(first);
  });

  it('leaves statements without parameters unnamed (they may hold several statements)', () => {
    const nameOf = preparedStatementNames('prisma');
    expect(nameOf({ sql: 'SELECT 1; SELECT 2', args: [] })).toBeUndefined();
  });

  it('stops naming new texts past its limit, and keeps the names it gave', () => {
    const nameOf = preparedStatementNames('prisma', 2);
    expect(nameOf({ sql: 'A $1', args: [1] })).toBe('prisma_0');
    expect(nameOf({ sql: 'B $1', args: [1] })).toBe('prisma_1');
    expect(nameOf({ sql: 'C $1', args: [1] })).toBeUndefined();
    expect(nameOf({ sql: 'A $1', args: [1] })).toBe('prisma_0');
  });
});
