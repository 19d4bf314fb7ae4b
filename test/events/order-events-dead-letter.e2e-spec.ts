import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { placeOrder, placedOrder } from '../factories/checkout.factory.js';
import { addItem, createCart } from '../factories/cart.factory.js';
import { OPS_API_KEY, eventually, startTestApp, type TestApp } from '../support/test-app.js';
import { migratedScratchDatabase } from '../catalog/catalog-test-kit.js';
import { MerchantReceiver, aWebhookSecret } from './merchant-receiver.js';

const ops = { authorization: `Bearer ${OPS_API_KEY}` };

interface EventView {
  id: string;
  orderId: string;
  type: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  lastAnswer: { status: number | null; error: string | null; body: string | null } | null;
  replays: number;
}

const eventsOf = async (service: TestApp, orderId: string) =>
  (await service.http.get<{ events: EventView[] }>(`/events?orderId=${orderId}`, ops)).body.events;
const metric = async (service: TestApp, name: string) => {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return Number(new RegExp(`^${name} ([\\d.e+-]+)`, 'm').exec(text)?.[1]);
};

describe('order events whose retries run out', () => {
  let service: TestApp;
  let receiver: MerchantReceiver;
  let failing = true;

  beforeAll(async () => {
    const secret = aWebhookSecret();
    receiver = await MerchantReceiver.start(secret);
    receiver.react = () => (failing ? { status: 500 } : { status: 200 });
    service = await startTestApp({
      // A database of its own: every instance on a database delivers all of its events, and the suites running
      // beside this one write orders too.
      DATABASE_URL: await migratedScratchDatabase('events_dead'),
      AUTHORIZATION_CALLBACK_GRACE_MS: '600000',
      MERCHANT_WEBHOOK_URL: receiver.url,
      MERCHANT_WEBHOOK_SECRET: secret,
      MERCHANT_WEBHOOK_TIMEOUT_MS: '500',
      MERCHANT_WEBHOOK_RETRY_BASE_MS: '50',
      MERCHANT_WEBHOOK_POLL_MS: '100',
      // A few seconds of retries.
      MERCHANT_WEBHOOK_RETRY_HOURS: '0.001',
      MERCHANT_WEBHOOK_INCLUDE_CUSTOMER: 'true',
    });
  });
  afterAll(async () => {
    await service.close();
    await receiver.close();
  });

  it('keeps a dead event, holds back the order’s later ones, counts it, and replays it with the same webhook-id', async () => {
    const { order } = await placedOrder(service);
    const dead = await eventually(async () => {
      const events = await eventsOf(service, order.orderId);
      return events[0]?.status === 'dead' && events.length === 2 ? events : undefined;
    }, 30_000);
    expect(dead[0]).toMatchObject({
      type: 'order.placed',
      status: 'dead',
      lastAnswer: { status: 500, error: 'HTTP 500', body: 'answer 500' },
    });
    // How many attempts fit in the window depends on the machine's speed; each one reached the receiver.
    expect(dead[0].attempts).toBeGreaterThanOrEqual(1);
    expect(receiver.of(order.orderId)).toHaveLength(dead[0].attempts);
    // The next event of the order waits behind the dead one: sending it would put it out of order.
    expect(dead[1]).toMatchObject({ type: 'order.confirmed', status: 'pending', attempts: 0 });
    expect(receiver.of(order.orderId).every((arrival) => arrival.id === dead[0].id)).toBe(true);
    const listed = await service.http.get<{ events: EventView[] }>('/events?status=dead', ops);
    expect(listed.body.events.map((event) => event.id)).toContain(dead[0].id);
    expect(
      await eventually(async () => ((await metric(service, 'merchant_events_dead')) >= 1 ? true : undefined)),
    ).toBe(true);
    expect(await metric(service, 'merchant_events_backlog')).toBeGreaterThanOrEqual(1);
    expect(await metric(service, 'merchant_events_oldest_pending_age_seconds')).toBeGreaterThan(0);

    failing = false;
    const replay = await service.http.post<{ redelivered: number }>('/events/redeliver?status=dead', undefined, ops);
    expect(replay.status).toBe(202);
    expect(replay.body.redelivered).toBeGreaterThanOrEqual(1);
    const delivered = await eventually(async () => {
      const events = await eventsOf(service, order.orderId);
      return events.every((event) => event.status === 'delivered') ? events : undefined;
    });
    expect(delivered[0]).toMatchObject({ id: dead[0].id, replays: 1 });
    const accepted = receiver.accepted(order.orderId);
    expect(accepted.map((arrival) => [arrival.id, arrival.type])).toEqual([
      [dead[0].id, 'order.placed'],
      [dead[1].id, 'order.confirmed'],
    ]);
  });

  it('adds the shipping address when MERCHANT_WEBHOOK_INCLUDE_CUSTOMER=true', async () => {
    failing = false;
    const shippingAddress = {
      givenName: 'Testperson',
      familyName: 'Approved',
      streetAddress: 'Sveavägen 46',
      postalCode: '11134',
      city: 'Stockholm',
      country: 'SE',
    };
    const cart = await createCart(service.http);
    expect((await service.http.put(`/carts/${cart.id}/customer`, { shippingAddress })).status).toBe(200);
    await addItem(service.http, cart.id);
    const session = await service.http.post<{ sessionId: string }>(`/carts/${cart.id}/klarna-session`);
    const authorized = await service.klarna.control<{ authorization_token: string }>(
      'POST',
      `/sessions/${session.body.sessionId}/authorize`,
      { outcome: 'approved' },
    );
    const placed = await placeOrder(service, cart.id, authorized.body.authorization_token);
    expect(placed.status).toBe(201);
    const [arrival] = await eventually(async () => {
      const accepted = receiver.accepted(placed.body.orderId);
      return accepted.length > 0 ? accepted : undefined;
    });
    expect(arrival.body.data.shippingAddress).toEqual(shippingAddress);
  });
});

describe('order events without MERCHANT_WEBHOOK_URL', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp({ AUTHORIZATION_CALLBACK_GRACE_MS: '600000' });
  });
  afterAll(() => service.close());

  it('still writes and lists every event, and delivers none', async () => {
    const { order } = await placedOrder(service);
    const events = await eventually(async () => {
      const listed = await eventsOf(service, order.orderId);
      return listed.length === 2 ? listed : undefined;
    });
    expect(events).toEqual([
      expect.objectContaining({ type: 'order.placed', status: 'pending', attempts: 0, lastAnswer: null }),
      expect.objectContaining({ type: 'order.confirmed', status: 'pending', attempts: 0, lastAnswer: null }),
    ]);
  });
});
