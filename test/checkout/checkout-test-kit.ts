import type { HttpClient } from '../support/http.js';
import { OPS_API_KEY } from '../support/test-app.js';

export const OPS = { authorization: `Bearer ${OPS_API_KEY}` };

let sequence = 0;
/** A name no other test (or parallel suite on the same database) uses. */
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++sequence}`;

/** Tax classes the shipping methods of these suites are taxed at, per country. */
export async function putTaxRate(http: HttpClient, country: string, taxClass: string, rate: number): Promise<void> {
  const answer = await http.put(`/catalog/tax-rates/${country}/${taxClass}`, { rate }, OPS);
  if (answer.status >= 300) throw new Error(`tax rate: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** PUT /shipping-methods/:id with a body whose defaults deliver to SE for 49 SEK, taxed at `ship-2500`. */
export async function aShippingMethod(http: HttpClient, overrides: Record<string, unknown> = {}): Promise<string> {
  const id = unique('ship');
  const answer = await http.put(`/shipping-methods/${id}`, aShippingMethodBody(overrides), OPS);
  if (answer.status !== 201) throw new Error(`shipping method: ${answer.status} ${JSON.stringify(answer.body)}`);
  return id;
}

export const aShippingMethodBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Home delivery',
  countries: ['SE'],
  prices: [{ currency: 'SEK', amount: 4900 }],
  taxClass: 'ship-2500',
  active: true,
  ...overrides,
});

/** PUT /discount-codes/:code: by default 10 % off the items, unlimited. Returns the code as written. */
export async function aDiscountCode(http: HttpClient, overrides: Record<string, unknown> = {}): Promise<string> {
  const code = unique('CODE').toUpperCase();
  const answer = await http.put(`/discount-codes/${code}`, aDiscountCodeBody(overrides), OPS);
  if (answer.status !== 201) throw new Error(`discount code: ${answer.status} ${JSON.stringify(answer.body)}`);
  return code;
}

export const aDiscountCodeBody = (overrides: Record<string, unknown> = {}) => ({
  kind: 'percent',
  percent: 1000,
  appliesTo: 'items',
  active: true,
  ...overrides,
});

export interface OrderLineBody {
  type: string;
  reference: string;
  quantity: number;
  unit_price: number;
  tax_rate: number;
  total_amount: number;
  total_tax_amount: number;
}
