/**
 * Injected faults for Klarna operations, set through POST /_sim/faults: latency, a share of 5xx answers,
 * never answering, failing the next N calls, and losing the answer of a call that was processed (cut connection,
 * no answer at all, or an unreadable body).
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
  'appendShippingInfo',
  'refundOrder',
  'getRefund',
  'extendAuthorizationTime',
  'releaseRemainingAuthorization',
  'updateCustomerDetails',
  'updateMerchantReferences',
] as const;

export type KlarnaOperationName = (typeof KLARNA_OPERATIONS)[number];

export interface FaultRuleInput {
  /** Omitted: every Klarna operation. */
  operation?: KlarnaOperationName;
  /** Only calls whose path contains this text (a session id, a token, an order id): faults for one cart only. */
  pathContains?: string;
  latencyMs?: number;
  /** Share (0..1) of calls answered with `errorStatus`. */
  errorRate?: number;
  /** 500/502/503 for outages, 429 for rate limiting; 400/403/409 to see how a client handles Klarna refusing a call. */
  errorStatus?: 400 | 403 | 409 | 429 | 500 | 502 | 503;
  /** Never answer, before processing: the socket stays open until the client gives up or the simulator closes. */
  timeout?: boolean;
  /** The next N calls are never answered, before processing (a counted `timeout`). */
  timeoutNext?: number;
  /** The next N calls answer `errorStatus` (default 500) without being processed. */
  failNext?: number;
  /** The next N calls are processed (state changes) but the socket is destroyed instead of answering. */
  cutConnectionAfterProcessing?: number;
  /** The next N calls are processed (state changes) and then never answered: the answer is lost in a timeout. */
  timeoutAfterProcessing?: number;
  /** The next N calls are processed and answered 200 with a body that is not JSON (a proxy's error page). */
  unreadableAnswer?: number;
}

export interface FaultRule extends FaultRuleInput {
  id: string;
}

/** What happens after a call was processed: answered, cut, never answered, or answered with an unreadable body. */
export type AfterProcessing = 'answer' | 'cut' | 'hang' | 'unreadable';

export interface FaultDecision {
  latencyMs: number;
  hang: boolean;
  errorStatus?: number;
  afterProcessing: AfterProcessing;
}

const NO_FAULT: FaultDecision = Object.freeze({ latencyMs: 0, hang: false, afterProcessing: 'answer' });

/** The counters that act after processing, and what each does. */
const AFTER_PROCESSING_COUNTERS = [
  ['cutConnectionAfterProcessing', 'cut'],
  ['timeoutAfterProcessing', 'hang'],
  ['unreadableAnswer', 'unreadable'],
] as const;

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

  /**
   * What happens to this call. Latency adds up over every matching rule; otherwise the rules are consulted in the
   * order they were added and the first one that applies decides (consuming one of its counters), so a test can
   * line up "first a timeout, then a refusal".
   */
  decide(operation: KlarnaOperationName, path = ''): FaultDecision {
    if (this.rules.length === 0) return NO_FAULT;
    const decision: FaultDecision = { latencyMs: 0, hang: false, afterProcessing: 'answer' };
    let decided = false;
    for (const rule of this.rules) {
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      if (rule.pathContains !== undefined && !path.includes(rule.pathContains)) continue;
      decision.latencyMs += rule.latencyMs ?? 0;
      if (!decided) decided = this.apply(rule, decision);
    }
    this.rules = this.rules.filter((rule) => !isUsedUp(rule));
    return decision;
  }

  /** Applies one rule to the decision if it has something to do now; true when it did. */
  private apply(rule: FaultRule, decision: FaultDecision): boolean {
    if (rule.timeout) {
      decision.hang = true;
      return true;
    }
    if ((rule.timeoutNext ?? 0) > 0) {
      rule.timeoutNext = (rule.timeoutNext ?? 0) - 1;
      decision.hang = true;
      return true;
    }
    if ((rule.failNext ?? 0) > 0) {
      rule.failNext = (rule.failNext ?? 0) - 1;
      decision.errorStatus = rule.errorStatus ?? 500;
      return true;
    }
    const counter = AFTER_PROCESSING_COUNTERS.find(([field]) => (rule[field] ?? 0) > 0);
    if (counter) {
      const [field, effect] = counter;
      rule[field] = (rule[field] ?? 0) - 1;
      decision.afterProcessing = effect;
      return true;
    }
    if (rule.errorRate !== undefined && Math.random() < rule.errorRate) {
      decision.errorStatus = rule.errorStatus ?? 500;
      return true;
    }
    return false;
  }
}

/** A rule made only of counters is gone once they reach zero. */
function isUsedUp(rule: FaultRule): boolean {
  const lasting = (rule.latencyMs ?? 0) > 0 || rule.errorRate !== undefined || rule.timeout === true;
  const counting =
    (rule.failNext ?? 0) > 0 ||
    (rule.timeoutNext ?? 0) > 0 ||
    AFTER_PROCESSING_COUNTERS.some(([field]) => (rule[field] ?? 0) > 0);
  return !lasting && !counting;
}
