import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startKlarnaSimulator, type KlarnaSimulator } from '../../src/klarna-simulator/klarna-simulator.js';
import { HOUR_MS, SimulatorClient, sessionBody } from './simulator-test-kit.js';

interface Call {
  operation: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  status: number | null;
  response: unknown;
  at: string;
  fault?: string;
}

describe('Klarna simulator: control endpoints and fault injection', () => {
  let simulator: KlarnaSimulator;
  let klarna: SimulatorClient;

  beforeAll(async () => {
    simulator = await startKlarnaSimulator();
    klarna = new SimulatorClient(simulator);
  });
  afterAll(() => simulator.close());
  beforeEach(async () => {
    await klarna.control('POST', '/reset');
  });

  const calls = async (query = ''): Promise<Call[]> =>
    (await klarna.control<{ calls: Call[] }>('GET', `/calls${query}`)).body.calls;

  describe('recorded calls', () => {
    it('lists the Klarna calls oldest first with method, path, redacted headers, body and answer', async () => {
      const sessionId = await klarna.createSession();
      await klarna.klarna(
        'POST',
        `/payments/v1/sessions/${sessionId}`,
        { merchant_reference1: 'x' },
        { 'User-Agent': 'shop/1.0' },
      );
      await klarna.klarna('GET', `/payments/v1/sessions/${sessionId}`);
      const recorded = await calls();
      expect(recorded.map((call) => call.operation)).toEqual(['createSession', 'updateSession', 'readSession']);
      expect(recorded[0]).toMatchObject({
        method: 'POST',
        path: '/payments/v1/sessions',
        headers: { authorization: 'Basic [redacted]' },
        body: sessionBody(),
        status: 200,
        response: { session_id: sessionId },
        at: expect.any(String),
      });
      expect(recorded[1]).toMatchObject({
        headers: { 'user-agent': 'shop/1.0' },
        body: { merchant_reference1: 'x' },
        status: 204,
      });
      expect(JSON.stringify(recorded)).not.toContain(Buffer.from('simulator:simulator').toString('base64'));
    });

    it('filters by operation and records the idempotency key', async () => {
      const orderId = await klarna.placeOrder();
      await klarna.klarna(
        'POST',
        `/ordermanagement/v1/orders/${orderId}/captures`,
        { captured_amount: 100 },
        {
          'Klarna-Idempotency-Key': 'k-1',
        },
      );
      const captures = await calls('?operation=captureOrder');
      expect(captures).toEqual([
        expect.objectContaining({
          operation: 'captureOrder',
          status: 201,
          headers: expect.objectContaining({ 'klarna-idempotency-key': 'k-1' }),
        }),
      ]);
    });

    it('records refused calls too, and clears the list on DELETE', async () => {
      await klarna.withCredentials('a', 'b').klarna('GET', '/payments/v1/sessions/x');
      expect(await calls()).toEqual([expect.objectContaining({ operation: 'readSession', status: 401 })]);
      expect((await klarna.control('DELETE', '/calls')).status).toBe(204);
      expect(await calls()).toEqual([]);
    });
  });

  describe('clock', () => {
    it('reports, advances and sets the simulated time', async () => {
      const before = Date.parse((await klarna.control<{ now: string }>('GET', '/clock')).body.now);
      const advanced = await klarna.control<{ now: string }>('POST', '/clock', { advanceMs: 2 * HOUR_MS });
      expect(Date.parse(advanced.body.now) - before).toBeGreaterThanOrEqual(2 * HOUR_MS);
      // Bracketed by our own clock readings, not bounded by a guess at how long a call takes.
      const setAt = Date.now();
      const set = await klarna.control<{ now: string }>('POST', '/clock', { now: '2030-01-01T00:00:00.000Z' });
      const sinceSet = Date.parse(set.body.now) - Date.parse('2030-01-01T00:00:00.000Z');
      expect(sinceSet).toBeGreaterThanOrEqual(0);
      expect(sinceSet).toBeLessThanOrEqual(Date.now() - setAt);
      const resetAt = Date.now();
      await klarna.control('POST', '/reset');
      const reset = Date.parse((await klarna.control<{ now: string }>('GET', '/clock')).body.now);
      expect(reset).toBeGreaterThanOrEqual(resetAt);
      expect(reset).toBeLessThanOrEqual(Date.now());
    });

    it('refuses a malformed clock request', async () => {
      expect((await klarna.control('POST', '/clock', { advanceMs: 'soon' })).status).toBe(400);
    });
  });

  describe('state inspection and reset', () => {
    it('shows a stored session and order, and forgets them on reset', async () => {
      const sessionId = await klarna.createSession();
      const session = await klarna.control('GET', `/sessions/${sessionId}`);
      expect(session.body).toMatchObject({
        session_id: sessionId,
        status: 'incomplete',
        expired: false,
        data: sessionBody(),
      });
      const orderId = await klarna.placeOrder();
      expect((await klarna.control('GET', `/orders/${orderId}`)).body).toMatchObject({
        order_id: orderId,
        refuse_increases: false,
      });
      await klarna.control('POST', '/reset');
      expect((await klarna.control('GET', `/sessions/${sessionId}`)).status).toBe(404);
      expect((await klarna.klarna('GET', `/ordermanagement/v1/orders/${orderId}`)).status).toBe(404);
    });
  });

  describe('faults', () => {
    it('adds latency to one operation', async () => {
      const fault = await klarna.control('POST', '/faults', { operation: 'createSession', latencyMs: 200 });
      expect(fault.status).toBe(201);
      expect(fault.body.id).toEqual(expect.any(String));
      const started = Date.now();
      await klarna.createSession();
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      const sessionId = await klarna.createSession();
      await klarna.klarna('GET', `/payments/v1/sessions/${sessionId}`);
      // Other operations are left alone: the call log says which answers a fault shaped.
      expect((await calls()).map((call) => [call.operation, call.fault])).toEqual([
        ['createSession', 'latency'],
        ['createSession', 'latency'],
        ['readSession', undefined],
      ]);
    });

    it('fails the next N calls of an operation without processing them', async () => {
      await klarna.control('POST', '/faults', { operation: 'createSession', failNext: 2, errorStatus: 503 });
      const first = await klarna.klarna('POST', '/payments/v1/sessions', sessionBody());
      expect(first.status).toBe(503);
      expect(first.body).toMatchObject({ error_code: 'TEMPORARILY_UNAVAILABLE', correlation_id: expect.any(String) });
      expect((await klarna.klarna('POST', '/payments/v1/sessions', sessionBody())).status).toBe(503);
      expect((await klarna.klarna('POST', '/payments/v1/sessions', sessionBody())).status).toBe(200);
      expect((await calls()).map((call) => call.fault)).toEqual(['error', 'error', undefined]);
    });

    it('defaults failNext to 500 INTERNAL_SERVER_ERROR and leaves other operations alone', async () => {
      await klarna.control('POST', '/faults', { operation: 'readSession', failNext: 1 });
      const sessionId = await klarna.createSession();
      const read = await klarna.klarna('GET', `/payments/v1/sessions/${sessionId}`);
      expect(read.status).toBe(500);
      expect(read.body.error_code).toBe('INTERNAL_SERVER_ERROR');
    });

    it('answers every call with the error status at errorRate 1.0, until faults are cleared', async () => {
      await klarna.control('POST', '/faults', { errorRate: 1, errorStatus: 500 });
      for (let i = 0; i < 3; i++) {
        expect((await klarna.klarna('POST', '/payments/v1/sessions', sessionBody())).status).toBe(500);
      }
      expect((await klarna.control('DELETE', '/faults')).status).toBe(204);
      expect((await klarna.klarna('POST', '/payments/v1/sessions', sessionBody())).status).toBe(200);
    });

    it('never answers under a timeout fault: the client gives up through its AbortSignal', async () => {
      await klarna.control('POST', '/faults', { operation: 'createSession', timeout: true });
      const started = Date.now();
      await expect(
        klarna.klarna('POST', '/payments/v1/sessions', sessionBody(), {}, AbortSignal.timeout(300)),
      ).rejects.toThrow(/aborted|timeout/i);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(await calls()).toEqual([
        expect.objectContaining({ operation: 'createSession', status: null, fault: 'timeout' }),
      ]);
    });

    it('cuts the connection after processing: the client sees a socket error but the order exists', async () => {
      const sessionId = await klarna.createSession();
      const token = await klarna.authorize(sessionId);
      await klarna.control('POST', '/faults', { operation: 'createOrder', cutConnectionAfterProcessing: 1 });
      await expect(
        klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, sessionBody()),
      ).rejects.toThrow();
      const [call] = await calls('?operation=createOrder');
      expect(call).toMatchObject({ status: 200, fault: 'cut' });
      const orderId = (call.response as { order_id: string }).order_id;
      const order = await klarna.klarna('GET', `/ordermanagement/v1/orders/${orderId}`);
      expect(order.status).toBe(200);
      // A retry with the same token finds it used: the order was placed once.
      expect((await klarna.klarna('POST', `/payments/v1/authorizations/${token}/order`, sessionBody())).status).toBe(
        404,
      );
    });

    it('lets an idempotent retry after a cut connection return the first answer', async () => {
      const orderId = await klarna.placeOrder();
      await klarna.control('POST', '/faults', { operation: 'captureOrder', cutConnectionAfterProcessing: 1 });
      const headers = { 'Klarna-Idempotency-Key': 'retry-me' };
      const path = `/ordermanagement/v1/orders/${orderId}/captures`;
      await expect(klarna.klarna('POST', path, { captured_amount: 500 }, headers)).rejects.toThrow();
      const retry = await klarna.klarna('POST', path, { captured_amount: 500 }, headers);
      expect(retry.status).toBe(201);
      const order = await klarna.klarna('GET', `/ordermanagement/v1/orders/${orderId}`);
      expect(order.body).toMatchObject({ captured_amount: 500, captures: [expect.anything()] });
    });

    it('refuses an unknown operation name in a fault', async () => {
      expect((await klarna.control('POST', '/faults', { operation: 'createSessions', failNext: 1 })).status).toBe(400);
    });
  });

  it('answers an unknown path with a Klarna-shaped 404', async () => {
    const answer = await klarna.klarna('GET', '/payments/v2/whatever');
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({
      error_code: 'NOT_FOUND',
      correlation_id: answer.headers.get('klarna-correlation-id'),
    });
  });
});
