import { describe, expect, it } from '@jest/globals';
import { currencyExponent, toMajorUnits, toMinorUnits } from './currency.js';

describe('CyberSource amounts', () => {
  it.each([
    [12390, 'EUR', '123.90'],
    [5, 'USD', '0.05'],
    [0, 'GBP', '0.00'],
    [1500, 'JPY', '1500'],
    [990, 'KRW', '990'],
    [12345, 'KWD', '12.345'],
    [7, 'BHD', '0.007'],
  ])('writes %i %s as %s', (minor, currency, major) => {
    expect(toMajorUnits(minor, currency)).toBe(major);
    expect(toMinorUnits(major, currency)).toBe(minor);
  });

  it('knows the exponent of the currencies that differ from 2', () => {
    expect([
      currencyExponent('JPY'),
      currencyExponent('ISK'),
      currencyExponent('KWD'),
      currencyExponent('SEK'),
    ]).toEqual([0, 0, 3, 2]);
  });

  it('refuses negative or fractional minor units', () => {
    expect(() => toMajorUnits(-1, 'EUR')).toThrow(RangeError);
    expect(() => toMajorUnits(1.5, 'EUR')).toThrow(RangeError);
  });

  it('reads shorter fractions but refuses more decimals than the currency has', () => {
    expect(toMinorUnits('5', 'EUR')).toBe(500);
    expect(toMinorUnits('5.5', 'EUR')).toBe(550);
    expect(toMinorUnits('5.555', 'EUR')).toBeUndefined();
    expect(toMinorUnits('12.5', 'JPY')).toBeUndefined();
    expect(toMinorUnits('-1.00', 'EUR')).toBeUndefined();
    expect(toMinorUnits('1,00', 'EUR')).toBeUndefined();
  });
});
