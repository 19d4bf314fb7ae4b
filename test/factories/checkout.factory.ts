import { expect } from '@jest/globals';
import type { TestApp } from '../support/test-app.js';
import { createCartWithSession, type CartBody, type ItemSpec } from './cart.factory.js';

export interface Placement {
  orderId: string;
  klarnaOrderId: string | null;
  status: string;
  fraudStatus: string | null;
  redirectUrl: string | null;
}

/** A cart with a session whose shopper authorized it in the widget (the simulator plays the widget). */
export async function authorizedCart(
  service: TestApp,
  items: ItemSpec[] = [{}],
  outcome = 'approved',
): Promise<{ cart: CartBody; session: { sessionId: string }; token: string }> {
  const { cart, session } = await createCartWithSession(service.http, items);
  const answer = await service.klarna.control<{ authorization_token: string }>(
    'POST',
    `/sessions/${session.sessionId}/authorize`,
    { outcome },
  );
  expect(answer.status).toBe(200);
  return { cart, session, token: answer.body.authorization_token };
}

/** The storefront hands the token over. */
export function placeOrder(service: TestApp, cartId: string, authorizationToken: string) {
  return service.http.post<Placement>(`/carts/${cartId}/klarna-session/authorizations`, { authorizationToken });
}

/** A placed order (201). */
export async function placedOrder(service: TestApp, outcome = 'approved') {
  const { cart, session, token } = await authorizedCart(service, [{}], outcome);
  const placed = await placeOrder(service, cart.id, token);
  expect(placed.status).toBe(201);
  return { cart, session, token, order: placed.body };
}

/** The order rows of a cart, failed ones included. */
export async function ordersOfCart(service: TestApp, cartId: string) {
  const { rows } = await service.database.query<{
    id: string;
    status: string;
    klarna_order_id: string | null;
    failure_status: number | null;
    failure_code: string | null;
    last_correlation_id: string | null;
  }>(
    `SELECT id, status, klarna_order_id, failure_status, failure_code, last_correlation_id
     FROM "order" WHERE cart_id = $1 ORDER BY created_at`,
    [cartId],
  );
  return rows;
}
