import { describe, expect, it } from '@jest/globals';
import { findUnsafeJson, MAX_JSON_DEPTH } from './json-safety.js';

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < levels; level++) value = { a: value };
  return value;
}

describe('findUnsafeJson', () => {
  it('accepts ordinary bodies, including non-Latin text and emoji', () => {
    expect(
      findUnsafeJson({ name: 'Bücher 📚 日本', orderLines: [{ quantity: 1 }], customer: { email: 'a@b.se' } }),
    ).toBeUndefined();
    expect(findUnsafeJson(null)).toBeUndefined();
    expect(findUnsafeJson('plain')).toBeUndefined();
  });

  it(`accepts ${MAX_JSON_DEPTH} levels of nesting and refuses one more, naming the path`, () => {
    expect(findUnsafeJson(nested(MAX_JSON_DEPTH))).toBeUndefined();
    const error = findUnsafeJson(nested(MAX_JSON_DEPTH + 1));
    expect(error?.message).toBe(`must not be nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(error?.field).toBe(Array(MAX_JSON_DEPTH).fill('a').join('.'));
  });

  it('refuses 60 000 levels of arrays without overflowing', () => {
    const deep = JSON.parse('['.repeat(60_000) + ']'.repeat(60_000)) as unknown;
    expect(findUnsafeJson(deep)?.field).toBe(`body${'[0]'.repeat(MAX_JSON_DEPTH)}`);
  });

  it('refuses a NUL character in a value, naming the field', () => {
    expect(findUnsafeJson({ billingAddress: { email: 'a\u0000@b.se' } })).toEqual({
      field: 'billingAddress.email',
      message: 'must not contain the NUL character (\\u0000)',
    });
    expect(findUnsafeJson({ orderLines: [{ name: 'ok' }, { name: '\u0000' }] })?.field).toBe('orderLines[1].name');
  });

  it('refuses a NUL character in a key', () => {
    expect(findUnsafeJson({ 'na\u0000me': 'x' })).toEqual({
      field: 'na\\u0000me',
      message: 'name must not contain the NUL character (\\u0000)',
    });
  });

  it('refuses lone surrogates but not surrogate pairs', () => {
    expect(findUnsafeJson({ name: '\ud83d\udcda' })).toBeUndefined();
    expect(findUnsafeJson({ name: 'x\ud800' })?.message).toBe('must be well-formed Unicode (no lone surrogates)');
    expect(findUnsafeJson(JSON.parse('{"name":"\\udc00"}'))?.field).toBe('name');
  });

  it('reports the first problem in document order', () => {
    expect(findUnsafeJson({ a: 'fine', b: '\u0000', c: '\ud800' })?.field).toBe('b');
  });
});
