import { describe, expect, it } from '@jest/globals';
import { fieldPath, specValidator } from './spec-validator.js';

const line = { type: 'physical', name: 'Mug', quantity: 1, unit_price: 1000, total_amount: 1000 };
const session = {
  purchase_country: 'DE',
  purchase_currency: 'EUR',
  locale: 'de-DE',
  order_amount: 1000,
  order_lines: [line],
};

describe('spec validator', () => {
  it('accepts a session that follows the KP spec', () => {
    expect(specValidator().problems('createSession', session)).toEqual([]);
  });

  it('names a string amount as a bad value', () => {
    expect(specValidator().problems('createSession', { ...session, order_amount: '1000' })).toEqual([
      'Bad value: order_amount',
    ]);
  });

  it('names a line field with its index', () => {
    const body = { ...session, order_lines: [line, { ...line, quantity: '2' }] };
    expect(specValidator().problems('createSession', body)).toEqual(['Bad value: order_lines[1].quantity']);
  });

  it('names a missing required field', () => {
    const { order_lines: _lines, ...withoutLines } = session;
    expect(specValidator().problems('createSession', withoutLines)).toEqual(['Missing field: order_lines']);
  });

  it('refuses a three-letter purchase_country', () => {
    expect(specValidator().problems('createSession', { ...session, purchase_country: 'DEU' })).toEqual([
      'Bad value: purchase_country',
    ]);
  });

  it('refuses a line type Klarna does not list', () => {
    const body = { ...session, order_lines: [{ ...line, type: 'service' }] };
    expect(specValidator().problems('createSession', body)).toEqual(['Bad value: order_lines[0].type']);
  });

  it('requires description and intended_use for a customer token', () => {
    const body = { purchase_country: 'DE', purchase_currency: 'EUR', locale: 'de-DE' };
    expect(specValidator().problems('createCustomerToken', body)).toEqual([
      'Missing field: description',
      'Missing field: intended_use',
    ]);
  });

  it('validates OM bodies against the OM spec', () => {
    expect(specValidator().problems('updateAuthorization', { order_amount: -1 })).toEqual(['Bad value: order_amount']);
    expect(specValidator().problems('captureOrder', {})).toEqual(['Missing field: captured_amount']);
  });

  it('turns a JSON pointer into Klarna field notation', () => {
    expect(fieldPath('/order_lines/12/product_identifiers/brand')).toBe('order_lines[12].product_identifiers.brand');
    expect(fieldPath('')).toBe('');
  });
});
