import { describe, expect, it } from '@jest/globals';
import { FaultInjector } from './faults.js';

describe('FaultInjector', () => {
  it('consults counted rules in the order they were added: first no answer, then a refusal, then nothing', () => {
    const faults = new FaultInjector();
    faults.add({ operation: 'createOrder', timeoutNext: 1 });
    faults.add({ operation: 'createOrder', failNext: 1, errorStatus: 403 });
    expect(faults.decide('createOrder')).toMatchObject({ hang: true });
    expect(faults.decide('createOrder')).toMatchObject({ hang: false, errorStatus: 403 });
    const clean = faults.decide('createOrder');
    expect(clean).toMatchObject({ hang: false, afterProcessing: 'answer' });
    expect(clean.errorStatus).toBeUndefined();
    expect(faults.list()).toEqual([]);
  });

  it('loses the answers of processed calls as asked: cut, never answered, unreadable', () => {
    const faults = new FaultInjector();
    faults.add({ cutConnectionAfterProcessing: 1, timeoutAfterProcessing: 1 });
    faults.add({ operation: 'updateSession', unreadableAnswer: 1 });
    expect(faults.decide('updateSession').afterProcessing).toBe('cut');
    expect(faults.decide('updateSession').afterProcessing).toBe('hang');
    expect(faults.decide('updateSession').afterProcessing).toBe('unreadable');
    expect(faults.decide('updateSession').afterProcessing).toBe('answer');
  });

  it('adds up latency of every matching rule and leaves other operations alone', () => {
    const faults = new FaultInjector();
    faults.add({ latencyMs: 100 });
    faults.add({ operation: 'getOrder', latencyMs: 50, errorRate: 1, errorStatus: 503 });
    expect(faults.decide('getOrder')).toMatchObject({ latencyMs: 150, errorStatus: 503 });
    const other = faults.decide('createOrder');
    expect(other.latencyMs).toBe(100);
    expect(other.errorStatus).toBeUndefined();
  });
});
