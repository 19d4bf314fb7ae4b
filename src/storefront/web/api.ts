/**
 * The page's REST client, typed from the service's OpenAPI document (/docs-json, turned into ./generated/api.d.ts
 * by openapi-typescript during `npm run build`): when a path, a body or an answer changes, this page stops
 * compiling. A front-end team can generate the same file from the same document.
 */
import type { components, paths } from './generated/api.js';

type Schemas = components['schemas'];
export type Cart = Schemas['Cart'];
export type CartItem = Schemas['CartItem'];
export type KlarnaSession = Schemas['KlarnaSession'];
export type Placement = Schemas['Placement'];
export type Order = Schemas['Order'];
export type Product = Schemas['Product'];
export type ProductPage = Schemas['ProductPage'];
export type ApiError = Schemas['Error'];
export type StorefrontConfig = JsonAnswer<'/storefront/config', 'get', 200>;

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The JSON body of one documented answer of one operation. */
type JsonAnswer<P extends keyof paths, M extends Method, S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer Body } } };
}
  ? Body
  : never;

/** The JSON request body of one operation. */
type JsonBody<P extends keyof paths, M extends Method> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer Body } };
}
  ? Body
  : never;

/** An answer outside 2xx: the service's error body (`code` is stable) and the HTTP status. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
  ) {
    super(`${status} ${body.code}: ${body.message}`);
  }
}

/** What the page shows in its "last answer" panel. */
export interface Exchange {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

let onExchange: (exchange: Exchange) => void = () => undefined;
export function watchExchanges(listener: (exchange: Exchange) => void): void {
  onExchange = listener;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed: unknown = text === '' ? undefined : JSON.parse(text);
  onExchange({ method, path, status: response.status, body: parsed });
  if (!response.ok) throw new ApiFailure(response.status, parsed as ApiError);
  return parsed as T;
}

const cartPath = (cartId: string) => `/carts/${encodeURIComponent(cartId)}`;

export const api = {
  storefrontConfig: () => call<StorefrontConfig>('GET', '/storefront/config'),

  products: (market: { country: string; currency: string; locale: string }, cursor?: string) => {
    const { country, currency, locale } = market;
    const query = new URLSearchParams({ country, currency, locale, limit: '100', ...(cursor ? { cursor } : {}) });
    return call<JsonAnswer<'/catalog/products', 'get', 200>>('GET', `/catalog/products?${query}`);
  },

  createCart: (body: JsonBody<'/carts', 'post'>) => call<JsonAnswer<'/carts', 'post', 201>>('POST', '/carts', body),

  cart: (cartId: string) => call<JsonAnswer<'/carts/{cartId}', 'get', 200>>('GET', cartPath(cartId)),

  changeMarket: (cartId: string, body: JsonBody<'/carts/{cartId}', 'patch'>) =>
    call<JsonAnswer<'/carts/{cartId}', 'patch', 200>>('PATCH', cartPath(cartId), body),

  addItem: (cartId: string, body: JsonBody<'/carts/{cartId}/items', 'post'>) =>
    call<JsonAnswer<'/carts/{cartId}/items', 'post', 201>>('POST', `${cartPath(cartId)}/items`, body),

  changeQuantity: (cartId: string, itemId: string, body: JsonBody<'/carts/{cartId}/items/{itemId}', 'patch'>) =>
    call<JsonAnswer<'/carts/{cartId}/items/{itemId}', 'patch', 200>>(
      'PATCH',
      `${cartPath(cartId)}/items/${encodeURIComponent(itemId)}`,
      body,
    ),

  removeItem: (cartId: string, itemId: string) =>
    call<JsonAnswer<'/carts/{cartId}/items/{itemId}', 'delete', 200>>(
      'DELETE',
      `${cartPath(cartId)}/items/${encodeURIComponent(itemId)}`,
    ),

  setCustomer: (cartId: string, body: JsonBody<'/carts/{cartId}/customer', 'put'>) =>
    call<JsonAnswer<'/carts/{cartId}/customer', 'put', 200>>('PUT', `${cartPath(cartId)}/customer`, body),

  openKlarnaSession: (cartId: string) =>
    call<JsonAnswer<'/carts/{cartId}/klarna-session', 'post', 201>>('POST', `${cartPath(cartId)}/klarna-session`, {
      intent: 'buy',
    } satisfies JsonBody<'/carts/{cartId}/klarna-session', 'post'>),

  sendAuthorization: (cartId: string, body: JsonBody<'/carts/{cartId}/klarna-session/authorizations', 'post'>) =>
    call<Placement | Schemas['AuthorizationHeld']>('POST', `${cartPath(cartId)}/klarna-session/authorizations`, body),

  placeReviewedOrder: (cartId: string) =>
    call<JsonAnswer<'/carts/{cartId}/order', 'post', 201>>('POST', `${cartPath(cartId)}/order`),

  order: (orderId: string) =>
    call<JsonAnswer<'/orders/{orderId}', 'get', 200>>('GET', `/orders/${encodeURIComponent(orderId)}`),

  /**
   * Shipping and discount codes (issue 13) are not in every build of the service: these calls are untyped on
   * purpose and the page shows their sections only when the service answers them (a 404 ROUTE_NOT_FOUND means
   * the endpoint does not exist here).
   */
  optional: {
    call: (method: string, path: string, body?: unknown) => call<unknown>(method, path, body),
  },
};
