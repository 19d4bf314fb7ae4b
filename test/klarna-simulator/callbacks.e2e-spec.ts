import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startKlarnaSimulator, type KlarnaSimulator } from '../../src/klarna-simulator/klarna-simulator.js';
import { CallbackReceiver, SimulatorClient, sessionBody, sleep } from './simulator-test-kit.js';

interface CallbackRecord {
  kind: string;
  url: string;
  body: unknown;
  at: string;
  status?: number;
  error?: string;
  dropped?: boolean;
  duplicate?: boolean;
}

describe('Klarna simulator: callbacks to the merchant', () => {
  let simulator: KlarnaSimulator;
  let klarna: SimulatorClient;
  let merchant: CallbackReceiver;

  beforeAll(async () => {
    simulator = await startKlarnaSimulator();
    klarna = new SimulatorClient(simulator);
  });
  afterAll(() => simulator.close());
  beforeEach(async () => {
    await klarna.control('POST', '/reset');
    merchant = await CallbackReceiver.start();
  });
  afterEach(() => merchant.close());

  const sentCallbacks = async (): Promise<CallbackRecord[]> =>
    (await klarna.control<{ callbacks: CallbackRecord[] }>('GET', '/callbacks')).body.callbacks;
  /** Waits until every callback sent so far has the merchant's answer (or its network error) recorded. */
  const answered = async (): Promise<CallbackRecord[]> => {
    for (;;) {
      const callbacks = await sentCallbacks();
      if (callbacks.every((callback) => callback.dropped || callback.status !== undefined || callback.error)) {
        return callbacks;
      }
      await sleep(10);
    }
  };

  it('POSTs { authorization_token, session_id } to merchant_urls.authorization after authorizing', async () => {
    const sessionId = await klarna.createSession({
      merchant_urls: { authorization: `${merchant.url}/klarna/authorization?sid={session.id}` },
    });
    const token = await klarna.authorize(sessionId);
    const [callback] = await merchant.waitFor(`/klarna/authorization?sid=${sessionId}`);
    expect(callback.body).toEqual({ authorization_token: token, session_id: sessionId });
    expect(callback.headers['content-type']).toBe('application/json');
    // The merchant's status is recorded once its answer is read: wait for that, not for a fixed time.
    await answered();
    expect(await sentCallbacks()).toEqual([
      expect.objectContaining({
        kind: 'authorization',
        status: 200,
        body: { authorization_token: token, session_id: sessionId },
      }),
    ]);
  });

  it('sends no authorization callback for a denied authorization', async () => {
    const sessionId = await klarna.createSession({ merchant_urls: { authorization: `${merchant.url}/auth` } });
    await klarna.control('POST', `/sessions/${sessionId}/authorize`, { outcome: 'denied' });
    // A callback is recorded when Klarna decides to send it, before its answer: none was decided.
    expect(await sentCallbacks()).toEqual([]);
    // The next authorization's callback arrives alone: the denied one was never on its way.
    const approved = await klarna.createSession({ merchant_urls: { authorization: `${merchant.url}/auth` } });
    await klarna.authorize(approved);
    await merchant.waitFor('/auth');
    await answered();
    expect(merchant.received).toHaveLength(1);
    expect((merchant.received[0].body as { session_id: string }).session_id).toBe(approved);
  });

  it('POSTs to merchant_urls.push with the order id filled in after create order', async () => {
    const sessionId = await klarna.createSession({ merchant_urls: { push: `${merchant.url}/push/{order.id}` } });
    const token = await klarna.authorize(sessionId);
    const order = await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, sessionBody());
    const [push] = await merchant.waitFor(`/push/${order.body.order_id as string}`);
    expect(push.body).toEqual({});
  });

  it('takes the push URL from the create-order request when the session has none', async () => {
    const sessionId = await klarna.createSession();
    const token = await klarna.authorize(sessionId);
    const order = await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, {
      ...sessionBody(),
      merchant_urls: { push: `${merchant.url}/push?order={checkout.order.id}` },
    });
    await merchant.waitFor(`/push?order=${order.body.order_id as string}`);
  });

  it('POSTs the fraud decision for a pending order to merchant_urls.notification', async () => {
    const sessionId = await klarna.createSession({ merchant_urls: { notification: `${merchant.url}/notification` } });
    const token = await klarna.authorize(sessionId, 'fraud_pending');
    const order = await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, sessionBody());
    const orderId = order.body.order_id as string;
    const decision = await klarna.control('POST', `/orders/${orderId}/fraud-decision`, {
      event_type: 'FRAUD_RISK_REJECTED',
    });
    expect(decision.status).toBe(200);
    const [notification] = await merchant.waitFor('/notification');
    expect(notification.body).toEqual({
      order_id: orderId,
      event_type: 'FRAUD_RISK_REJECTED',
      occurred_at: expect.any(String),
    });
    const om = await klarna.klarna('GET', `/ordermanagement/v1/orders/${orderId}`);
    expect(om.body).toMatchObject({ fraud_status: 'REJECTED', status: 'CANCELLED' });
  });

  it('marks an accepted pending order ACCEPTED', async () => {
    const sessionId = await klarna.createSession({ merchant_urls: { notification: `${merchant.url}/notification` } });
    const token = await klarna.authorize(sessionId, 'fraud_pending');
    const order = await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, sessionBody());
    const orderId = order.body.order_id as string;
    await klarna.control('POST', `/orders/${orderId}/fraud-decision`, { event_type: 'FRAUD_RISK_ACCEPTED' });
    await merchant.waitFor('/notification');
    const om = await klarna.klarna('GET', `/ordermanagement/v1/orders/${orderId}`);
    expect(om.body).toMatchObject({ fraud_status: 'ACCEPTED', status: 'AUTHORIZED' });
  });

  it('drops the next callback when told to, and records it as dropped', async () => {
    await klarna.control('POST', '/callback-faults', { drop: 1 });
    const sessionId = await klarna.createSession({ merchant_urls: { authorization: `${merchant.url}/auth` } });
    await klarna.authorize(sessionId);
    expect(await sentCallbacks()).toEqual([expect.objectContaining({ kind: 'authorization', dropped: true })]);
    await klarna.control('POST', `/sessions/${sessionId}/reauthorize`, {});
    await merchant.waitFor('/auth');
    await answered();
    // Only the reauthorization's callback arrived: the dropped one never did.
    expect(merchant.received).toHaveLength(1);
  });

  it('sends the next callback twice when told to duplicate it', async () => {
    await klarna.control('POST', '/callback-faults', { duplicate: 1 });
    const sessionId = await klarna.createSession({ merchant_urls: { authorization: `${merchant.url}/auth` } });
    const token = await klarna.authorize(sessionId);
    const callbacks = await merchant.waitFor('/auth', 2);
    expect(callbacks.map((callback) => callback.body)).toEqual([
      { authorization_token: token, session_id: sessionId },
      { authorization_token: token, session_id: sessionId },
    ]);
  });

  it('delays callbacks when told to', async () => {
    await klarna.control('POST', '/callback-faults', { delayMs: 1000 });
    const sessionId = await klarna.createSession({ merchant_urls: { authorization: `${merchant.url}/auth` } });
    await klarna.authorize(sessionId);
    // Decided (recorded) but held back: not yet sent, so not yet answered.
    const [held] = await sentCallbacks();
    expect(held).toMatchObject({ kind: 'authorization' });
    expect(held.status).toBeUndefined();
    const [arrived] = await merchant.waitFor('/auth');
    expect(arrived.body).toMatchObject({ session_id: sessionId });
  });

  it('records the merchant status and network errors of callbacks', async () => {
    const failing = await CallbackReceiver.start(500);
    try {
      const sessionId = await klarna.createSession({ merchant_urls: { authorization: `${failing.url}/auth` } });
      await klarna.authorize(sessionId);
      await failing.waitFor('/auth');
      await answered();
      expect(await sentCallbacks()).toEqual([expect.objectContaining({ status: 500 })]);
    } finally {
      await failing.close();
    }
    await klarna.control('DELETE', '/callbacks');
    const sessionId = await klarna.createSession({ merchant_urls: { authorization: 'http://127.0.0.1:1/nowhere' } });
    await klarna.authorize(sessionId);
    await answered();
    expect(await sentCallbacks()).toEqual([expect.objectContaining({ error: expect.any(String) })]);
  });
});
