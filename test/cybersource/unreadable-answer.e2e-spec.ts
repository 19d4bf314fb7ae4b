/**
 * The CyberSource simulator's unreadable-answer fault (added for the fault matrix): CyberSource applied the request,
 * then a reply cut short arrived with HTTP 200. The gateway must read that as an unknown outcome, never as a refusal.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { KlarnaApiError } from '../../src/klarna/klarna-api.error.js';
import { germanCart, startCyberSourceKit, type CyberSourceKit } from './cybersource-test-kit.js';

describe('an unreadable CyberSource answer', () => {
  let kit: CyberSourceKit;

  beforeAll(async () => {
    kit = await startCyberSourceKit();
  });
  afterAll(() => kit.close());
  beforeEach(async () => {
    await kit.control('POST', '/reset');
  });

  it('is an unknown outcome, and the request was applied', async () => {
    await kit.control('POST', '/faults', { operation: 'createSession', unreadableAnswerAfterProcessing: 1 });
    const error = await kit.gateway.createSession(germanCart()).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(KlarnaApiError);
    expect((error as KlarnaApiError).outcomeUnknown).toBe(true);
    expect((error as KlarnaApiError).isTransient).toBe(true);
    const [call] = await kit.calls('createSession');
    expect(call).toMatchObject({ fault: 'unreadable', reasonCode: 100 });
    expect((await kit.control('GET', `/sessions/${call.requestID}`)).status).toBe(200);
  });

  it('counts down: the next call answers normally', async () => {
    await kit.control('POST', '/faults', { operation: 'createSession', unreadableAnswerAfterProcessing: 1 });
    await kit.gateway.createSession(germanCart()).catch(() => undefined);
    await expect(kit.gateway.createSession(germanCart())).resolves.toMatchObject({ clientToken: expect.any(String) });
    expect((await kit.control<{ faults: unknown[] }>('GET', '/faults')).body.faults).toEqual([]);
  });

  it('refuses a fault setting that is not a count', async () => {
    const refused = await kit.control('POST', '/faults', { unreadableAnswerAfterProcessing: -1 });
    expect(refused).toMatchObject({ status: 400, body: { error: 'unreadableAnswerAfterProcessing must be a count' } });
  });
});
