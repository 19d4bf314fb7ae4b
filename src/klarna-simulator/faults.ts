/**
 * Injected faults for Klarna operations, set through POST /_sim/faults: latency, a share of 5xx answers,
 * never answering, failing the next N calls, and cutting the connection after a call was processed.
 */
import { randomUUID } from 'node:crypto';

export const KLARNA_OPERATIONS = [
  'createSession',
  'readSession',
  'updateSession',
  'createOrder',
  'cancelAuthorization',
  'createCustomerToken',
  'getOrder',
  'updateAuthorization',
  'cancelOrder',
  'captureOrder',
  'getCaptures',
  'getCapture',
] as const;

export type KlarnaOperationName = (typeof KLARNA_OPERATIONS)[number];

export interface FaultRuleInput {
  /** Omitted: every Klarna operation. */
  operation?: KlarnaOperationName;
  latencyMs?: number;
  /** Share (0..1) of calls answered with `errorStatus`. */
  errorRate?: number;
  /** 500/503 for outages; 400/403 to see how a client handles Klarna refusing a call. */
  errorStatus?: 400 | 403 | 500 | 503;
  /** Never answer: the socket stays open until the client gives up or the simulator closes. */
  timeout?: boolean;
  /** The next N calls answer `errorStatus` (default 500) without being processed. */
  failNext?: number;
  /** The next N calls are processed (state changes) but the socket is destroyed instead of answering. */
  cutConnectionAfterProcessing?: number;
}

export interface FaultRule extends FaultRuleInput {
  id: string;
}

export interface FaultDecision {
  latencyMs: number;
  hang: boolean;
  errorStatus?: number;
  cutAfterProcessing: boolean;
}

const NO_FAULT: FaultDecision = Object.freeze({ latencyMs: 0, hang: false, cutAfterProcessing: false });

export class FaultInjector {
  private rules: FaultRule[] = [];

  add(input: FaultRuleInput): FaultRule {
    const rule = { id: randomUUID(), ...input };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.rules;
  }

  clear(): void {
    this.rules = [];
  }

  /** What happens to this call; consumes the `failNext` / `cutConnectionAfterProcessing` counters it uses. */
  decide(operation: KlarnaOperationName): FaultDecision {
    if (this.rules.length === 0) return NO_FAULT;
    let latencyMs = 0;
    let hang = false;
    let errorStatus: number | undefined;
    let cutAfterProcessing = false;
    for (const rule of this.rules) {
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      latencyMs += rule.latencyMs ?? 0;
      if (rule.timeout) hang = true;
      if (hang || errorStatus !== undefined) continue;
      if ((rule.failNext ?? 0) > 0) {
        rule.failNext = (rule.failNext ?? 0) - 1;
        errorStatus = rule.errorStatus ?? 500;
      } else if (rule.errorRate !== undefined && Math.random() < rule.errorRate) {
        errorStatus = rule.errorStatus ?? 500;
      }
    }
    if (!hang && errorStatus === undefined) {
      const cutRule = this.rules.find(
        (rule) =>
          (rule.operation === undefined || rule.operation === operation) &&
          (rule.cutConnectionAfterProcessing ?? 0) > 0,
      );
      if (cutRule) {
        cutRule.cutConnectionAfterProcessing = (cutRule.cutConnectionAfterProcessing ?? 0) - 1;
        cutAfterProcessing = true;
      }
    }
    this.rules = this.rules.filter((rule) => !isUsedUp(rule));
    return { latencyMs, hang, errorStatus, cutAfterProcessing };
  }
}

/** A rule made only of counters is gone once they reach zero. */
function isUsedUp(rule: FaultRule): boolean {
  const lasting = (rule.latencyMs ?? 0) > 0 || rule.errorRate !== undefined || rule.timeout === true;
  const counting = (rule.failNext ?? 0) > 0 || (rule.cutConnectionAfterProcessing ?? 0) > 0;
  return !lasting && !counting;
}
