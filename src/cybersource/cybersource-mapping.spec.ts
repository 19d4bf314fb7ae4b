/**
 * Contract tests of the mapping: our Klarna types in, the exact Simple Order XML out, compared with golden
 * fixtures written by hand from the field lists in shared/cybersource/FACTS.md (test/cybersource/fixtures).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import type { KlarnaOrderLine, KlarnaSessionRequest } from '../klarna/klarna.types.js';
import {
  authorizationRequest,
  captureRequest,
  GrandTotalMismatchError,
  orderContent,
  sessionRequest,
} from './cybersource-mapping.js';
import { requestMessageXml } from './simple-order-xml.js';

const URLS = {
  successUrl: 'https://shop.example.com',
  cancelUrl: 'https://shop.example.com',
  failureUrl: 'https://shop.example.com',
};

function fixture(name: string): string {
  return readFileSync(new URL(`../../test/cybersource/fixtures/${name}`, import.meta.url), 'utf8')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/>\s+</g, '><')
    .trim();
}

const line = (overrides: Partial<KlarnaOrderLine>): KlarnaOrderLine => ({
  type: 'physical',
  reference: 'MUG-1',
  name: 'Mug',
  quantity: 2,
  unitPrice: 5950,
  taxRate: 1900,
  totalAmount: 11900,
  totalDiscountAmount: 0,
  totalTaxAmount: 1900,
  ...overrides,
});
const shipping = line({
  type: 'shipping_fee',
  reference: 'SHIPPING',
  name: 'Shipping',
  quantity: 1,
  unitPrice: 490,
  totalAmount: 490,
  totalTaxAmount: 78,
});
const coupon = line({
  type: 'discount',
  reference: 'WELCOME10',
  name: 'Welcome coupon',
  quantity: 1,
  unitPrice: -1000,
  totalAmount: -1000,
  totalTaxAmount: -160,
});

const cart: KlarnaSessionRequest = {
  purchaseCountry: 'DE',
  purchaseCurrency: 'EUR',
  locale: 'de-DE',
  orderAmount: 12390,
  orderTaxAmount: 1978,
  orderLines: [line({}), shipping],
  merchantReference1: 'cart-7f3a',
};

const anna = {
  givenName: 'Anna',
  familyName: 'Schmidt',
  email: 'anna@example.com',
  phone: '+49 30 1234567',
  streetAddress: 'Leopoldstraße 4',
  postalCode: '10318',
  city: 'Berlin',
  country: 'DE',
};

describe('Simple Order mapping (golden XML)', () => {
  it('create session: inline flow, country and language only, items and the grand total', () => {
    const xml = requestMessageXml(sessionRequest('test_shop', cart, URLS, { create: true }, 'unused'));
    expect(xml).toBe(fixture('create-session.xml'));
  });

  it('update session: billing, shipping, items, a coupon line and totals, keyed by the session request id', () => {
    const update: KlarnaSessionRequest = {
      ...cart,
      orderAmount: 11390,
      orderTaxAmount: 1818,
      orderLines: [line({}), shipping, coupon],
      billingAddress: anna,
      shippingAddress: { ...anna, streetAddress: 'Hauptstraße 1' },
      customer: { dateOfBirth: '1982-01-01' },
    };
    const request = sessionRequest(
      'test_shop',
      update,
      URLS,
      { create: false, sessionsRequestID: '4848446567036715804007' },
      'unused',
    );
    expect(requestMessageXml(request)).toBe(fixture('update-session.xml'));
  });

  it('authorize: the widget token as preapprovalToken; US sales tax and a line discount in the totals', () => {
    const cap = line({
      type: 'physical',
      reference: 'CAP-1',
      name: 'Cap',
      quantity: 2,
      unitPrice: 2000,
      taxRate: 0,
      totalDiscountAmount: 400,
      totalAmount: 3600,
      totalTaxAmount: 0,
    });
    const usShipping = line({
      type: 'shipping_fee',
      reference: 'SHIPPING',
      name: 'Shipping',
      quantity: 1,
      unitPrice: 500,
      taxRate: 0,
      totalAmount: 500,
      totalTaxAmount: 0,
    });
    const tax = line({
      type: 'sales_tax',
      reference: 'TAX',
      name: 'Sales tax',
      quantity: 1,
      unitPrice: 360,
      taxRate: 0,
      totalAmount: 360,
      totalTaxAmount: 0,
    });
    const request = authorizationRequest('test_shop', 'b4bd3423-24e3-4c3c-9a1c-16fcfdfda8c2', {
      purchaseCountry: 'US',
      purchaseCurrency: 'USD',
      locale: 'en-US',
      orderAmount: 4460,
      orderTaxAmount: 360,
      orderLines: [cap, usShipping, tax],
      billingAddress: {
        givenName: 'John',
        familyName: 'Doe',
        email: 'john@example.com',
        streetAddress: '350 5th Ave',
        postalCode: '10118',
        city: 'New York',
        region: 'NY',
        country: 'US',
      },
      merchantReference1: 'order-5d21',
    });
    expect(requestMessageXml(request)).toBe(fixture('authorize.xml'));
  });

  it('capture: keyed by the authorization request id, a partial amount with the shipped line', () => {
    const request = captureRequest('test_shop', '6481692924966101503003', {
      amount: 5950,
      currency: 'EUR',
      reference: 'order-5d21-capture-1',
      orderLines: [line({ quantity: 1, totalAmount: 5950, totalTaxAmount: 950 })],
    });
    expect(requestMessageXml(request)).toBe(fixture('capture.xml'));
  });

  it('writes amounts by the currency exponent (JPY without decimals)', () => {
    const yen = orderContent({
      purchaseCountry: 'JP',
      purchaseCurrency: 'JPY',
      locale: 'ja-JP',
      orderAmount: 3000,
      orderTaxAmount: 0,
      orderLines: [line({ quantity: 2, unitPrice: 1500, totalAmount: 3000, totalTaxAmount: 0 })],
    });
    expect(yen.item[0]).toMatchObject({ unitPrice: '1500', totalAmount: '3000' });
    expect(yen.purchaseTotals.grandTotalAmount).toBe('3000');
  });

  describe('grand-total rule', () => {
    it('refuses lines that do not add up to the order amount', () => {
      expect(() => orderContent({ ...cart, orderAmount: 12391 })).toThrow(GrandTotalMismatchError);
      expect(() =>
        orderContent({ ...cart, orderLines: [line({ totalAmount: 11800 }), shipping], orderAmount: 12290 }),
      ).toThrow('The items add up to 12390, the order amount is 12290');
    });

    it('subtracts a coupon once (as an item), not again in purchaseTotals_discountAmount', () => {
      const content = orderContent({ ...cart, orderAmount: 11390, orderLines: [line({}), shipping, coupon] });
      expect(content.purchaseTotals).toEqual({ currency: 'EUR', grandTotalAmount: '113.90' });
      expect(content.item[2]).toMatchObject({ productCode: 'coupon', unitPrice: '10.00', totalAmount: '10.00' });
    });
  });

  it('refuses an element the XSD list does not know, instead of sending it out of order', () => {
    expect(() => requestMessageXml({ merchantID: 'm', merchantReferenceCode: 'r', billTo: { nickname: 'x' } })).toThrow(
      'billTo has no element nickname',
    );
  });
});
