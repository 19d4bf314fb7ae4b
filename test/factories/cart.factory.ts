import type { HttpClient } from '../support/http.js';
import { OPS_API_KEY } from '../support/test-app.js';

export interface CartBody {
  id: string;
  status: string;
  version: number;
  purchaseCountry: string;
  purchaseCurrency: string;
  locale: string;
  items: ({
    id: string;
    reference: string;
    quantity: number;
    unitPrice: number;
    totalAmount: number;
    totalTaxAmount: number;
  } & Record<string, unknown>)[];
  orderLines: ({ type: string; totalAmount: number; totalTaxAmount: number } & Record<string, unknown>)[];
  notices: ({ code: string; reference: string } & Record<string, unknown>)[];
  orderAmount: number;
  orderTaxAmount: number;
  klarna: {
    sessionId: string;
    clientToken: string;
    expiresAt: string;
    syncedVersion: number;
    inSync: boolean;
    action: 'none' | 'load' | 'init' | 'reauthorize';
    syncError: { errorCode: string; errorMessages: string[]; correlationId: string | null } | null;
  } | null;
}

export const aCart = (overrides: Record<string, unknown> = {}) => ({
  purchaseCountry: 'SE',
  purchaseCurrency: 'SEK',
  locale: 'sv-SE',
  ...overrides,
});

/** A product of the test catalog: created through the operations API, priced in one market. */
export interface ProductSpec {
  reference?: string;
  name?: string;
  type?: 'physical' | 'digital';
  /** Minor units in `currency`; tax included, except in the US (net). */
  unitPrice?: number;
  /** Basis points for `country` (in the US: the sales-tax rate). */
  taxRate?: number;
  country?: string;
  currency?: string;
  maxQuantity?: number;
  imageUrl?: string;
  productUrl?: string;
}

export interface ItemSpec extends ProductSpec {
  quantity?: number;
}

const SPEC_KEYS = new Set([
  'reference',
  'name',
  'type',
  'unitPrice',
  'taxRate',
  'country',
  'currency',
  'maxQuantity',
  'imageUrl',
  'productUrl',
  'quantity',
]);
const OPS = { authorization: `Bearer ${OPS_API_KEY}` };
const taxClasses = new Set<string>();
/** Products a test named by reference, with the spec they were made with: made once per service. */
const named = new Map<string, string>();
let sequence = 0;

/**
 * Creates (or replaces) a product in the catalog and returns its reference. Its tax class is named by its rate, so
 * any rate a test needs exists for the country.
 */
export async function aProduct(http: HttpClient, spec: ProductSpec = {}): Promise<string> {
  const unknown = Object.keys(spec).filter((key) => !SPEC_KEYS.has(key));
  if (unknown.length > 0) throw new Error(`aProduct: the server prices lines; no ${unknown.join(', ')}`);
  const country = spec.country ?? 'SE';
  const taxRate = spec.taxRate ?? 2500;
  const taxClass = `rate-${taxRate}`;
  const key = `${http.baseUrl}|${country}|${taxClass}`;
  if (!taxClasses.has(key)) {
    const rate = await http.put(`/catalog/tax-rates/${country}/${taxClass}`, { rate: taxRate }, OPS);
    if (rate.status >= 300) throw new Error(`tax rate: ${rate.status} ${JSON.stringify(rate.body)}`);
    taxClasses.add(key);
  }
  const reference = spec.reference ?? `SKU-${Date.now().toString(36)}-${++sequence}`;
  const namedKey = `${http.baseUrl}|${JSON.stringify(spec)}`;
  if (spec.reference !== undefined && named.get(namedKey) === reference) return reference;
  const product = await http.put(
    `/catalog/products/${encodeURIComponent(reference)}`,
    {
      name: spec.name ?? 'Trail running shoe',
      type: spec.type ?? 'physical',
      taxClass,
      prices: [{ currency: spec.currency ?? 'SEK', unitPrice: spec.unitPrice ?? 129_900 }],
      ...(spec.maxQuantity === undefined ? {} : { maxQuantity: spec.maxQuantity }),
      ...(spec.imageUrl === undefined ? {} : { imageUrl: spec.imageUrl }),
      ...(spec.productUrl === undefined ? {} : { productUrl: spec.productUrl }),
    },
    OPS,
  );
  if (product.status >= 300) throw new Error(`product: ${product.status} ${JSON.stringify(product.body)}`);
  if (spec.reference !== undefined) named.set(namedKey, reference);
  return reference;
}

/** A body for POST /carts/:id/items: a fresh product of the spec and a quantity (default 1). */
export async function anItem(http: HttpClient, spec: ItemSpec = {}): Promise<{ reference: string; quantity: number }> {
  const { quantity = 1, ...product } = spec;
  return { reference: await aProduct(http, product), quantity };
}

export async function createCart(http: HttpClient, overrides: Record<string, unknown> = {}): Promise<CartBody> {
  const response = await http.post<CartBody>('/carts', aCart(overrides));
  if (response.status !== 201) throw new Error(`createCart: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

export async function addItem(http: HttpClient, cartId: string, spec: ItemSpec = {}): Promise<CartBody> {
  const response = await http.post<CartBody>(`/carts/${cartId}/items`, await anItem(http, spec));
  if (response.status !== 201) throw new Error(`addItem: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** A cart with lines and a live Klarna session. */
export async function createCartWithSession(
  http: HttpClient,
  items: ItemSpec[] = [{}],
  cartOverrides: Record<string, unknown> = {},
): Promise<{ cart: CartBody; session: { sessionId: string; clientToken: string; cartVersion: number } }> {
  const cart = await createCart(http, cartOverrides);
  let latest = cart;
  for (const item of items) latest = await addItem(http, cart.id, item);
  const session = await http.post<{ sessionId: string; clientToken: string; cartVersion: number }>(
    `/carts/${cart.id}/klarna-session`,
  );
  if (session.status !== 201) throw new Error(`openKlarnaSession: ${session.status} ${JSON.stringify(session.body)}`);
  return { cart: latest, session: session.body };
}
