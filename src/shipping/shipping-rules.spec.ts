import { describe, expect, it } from '@jest/globals';
import { priceShipping, type ShippingMethodRecord } from './shipping-rules.js';

const method = (overrides: Partial<ShippingMethodRecord> = {}): ShippingMethodRecord => ({
  id: 'se-home',
  name: 'Home delivery',
  countries: ['SE'],
  prices: [{ currency: 'SEK', amount: 4900 }],
  freeOver: [{ currency: 'SEK', amount: 50_000 }],
  taxClass: 'standard',
  deliveryEstimate: null,
  active: true,
  ...overrides,
});
const SE = { country: 'SE', currency: 'SEK' };

describe('priceShipping', () => {
  it('prices the method in the cart’s currency at its tax class’s rate', () => {
    expect(priceShipping(method(), SE, 10_000, 2500)).toEqual({
      methodId: 'se-home',
      name: 'Home delivery',
      amount: 4900,
      regularAmount: 4900,
      free: false,
      taxRate: 2500,
      deliveryEstimate: null,
    });
  });

  it('is free from the threshold on', () => {
    expect(priceShipping(method(), SE, 49_999, 2500)).toMatchObject({ amount: 4900, free: false });
    expect(priceShipping(method(), SE, 50_000, 2500)).toMatchObject({ amount: 0, free: true });
  });

  it('is not offered when inactive, elsewhere, without a price in the currency or without a tax rate', () => {
    expect(priceShipping(method({ active: false }), SE, 0, 2500)).toBeUndefined();
    expect(priceShipping(method(), { country: 'NO', currency: 'NOK' }, 0, 2500)).toBeUndefined();
    expect(
      priceShipping(method({ countries: ['SE', 'FI'] }), { country: 'FI', currency: 'EUR' }, 0, 2400),
    ).toBeUndefined();
    expect(priceShipping(method(), SE, 0, undefined)).toBeUndefined();
  });
});
