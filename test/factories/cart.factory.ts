import type { HttpClient } from '../support/http.js';

export interface CartBody {
  id: string;
  status: string;
  version: number;
  purchaseCountry: string;
  purchaseCurrency: string;
  locale: string;
  items: ({ id: string; totalAmount: number; totalTaxAmount: number } & Record<string, unknown>)[];
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

let sequence = 0;
export const anItem = (overrides: Record<string, unknown> = {}) => ({
  reference: `SKU-${++sequence}`,
  name: 'Trail running shoe',
  quantity: 1,
  unitPrice: 129_900,
  taxRate: 2500,
  ...overrides,
});

export async function createCart(http: HttpClient, overrides: Record<string, unknown> = {}): Promise<CartBody> {
  const response = await http.post<CartBody>('/carts', aCart(overrides));
  if (response.status !== 201) throw new Error(`createCart: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

export async function addItem(
  http: HttpClient,
  cartId: string,
  overrides: Record<string, unknown> = {},
): Promise<CartBody> {
  const response = await http.post<CartBody>(`/carts/${cartId}/items`, anItem(overrides));
  if (response.status !== 201) throw new Error(`addItem: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** A cart with lines and a live Klarna session. */
export async function createCartWithSession(
  http: HttpClient,
  items: Record<string, unknown>[] = [{}],
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
