/**
 * Klarna speaks integer minor units; CyberSource's `amount` fields are major-unit decimal strings
 * ("123.90", "1500" for JPY, "12.345" for KWD). The exponent comes from ISO 4217: most currencies have 2
 * decimals; the ones below differ. A small table rather than a dependency: ISO changes these rarely, and
 * Intl.NumberFormat's digits follow CLDR's display conventions, which differ from ISO 4217 for some
 * currencies (e.g. it shows HUF and ISK with other digits than their ISO exponent).
 */
const ZERO_DECIMALS = [
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'ISK',
  'JPY',
  'KMF',
  'KRW',
  'PYG',
  'RWF',
  'UGX',
  'UYI',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
];
const THREE_DECIMALS = ['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'];

const EXPONENTS: ReadonlyMap<string, number> = new Map([
  ...ZERO_DECIMALS.map((code) => [code, 0] as const),
  ...THREE_DECIMALS.map((code) => [code, 3] as const),
]);

export function currencyExponent(currency: string): number {
  return EXPONENTS.get(currency.toUpperCase()) ?? 2;
}

/** 12390 EUR -> "123.90"; 1500 JPY -> "1500"; -5 is refused (CyberSource amounts are never negative). */
export function toMajorUnits(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor) || minor < 0)
    throw new RangeError(`Amount must be a non-negative integer of minor units: ${minor}`);
  const exponent = currencyExponent(currency);
  if (exponent === 0) return String(minor);
  const digits = String(minor).padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * "123.90" EUR -> 12390. Accepts fewer decimals than the exponent ("5" or "5.5" EUR), never more; undefined
 * for anything that is not a plain non-negative decimal, so callers can report the field.
 */
export function toMinorUnits(major: string, currency: string): number | undefined {
  const exponent = currencyExponent(currency);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(major.trim());
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) return undefined;
  const minor = Number(match[1] + fraction.padEnd(exponent, '0'));
  return Number.isSafeInteger(minor) ? minor : undefined;
}
