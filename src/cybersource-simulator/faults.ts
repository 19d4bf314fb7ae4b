/**
 * Injected faults for the CyberSource simulator, set through POST /_sim/faults; the same kinds as the Klarna
 * simulator's, in CyberSource's terms: latency, never answering (before or after applying the request), reason
 * codes 150/151/152 (before or after applying), cutting the connection after applying, and an unreadable answer
 * (HTTP 200, a reply cut short) after applying.
 */
import { randomUUID } from 'node:crypto';

export const CYBERSOURCE_OPERATIONS = [
  'createSession',
  'updateSession',
  'authorize',
  'reverseAuthorization',
  'capture',
  'refund',
  'checkStatus',
] as const;

export type CyberSourceOperation = (typeof CYBERSOURCE_OPERATIONS)[number];
export type UnknownOutcomeCode = 150 | 151 | 152;

export interface FaultRuleInput {
  /** Omitted: every operation. */
  operation?: CyberSourceOperation;
  latencyMs?: number;
  /** Never answer, and do not apply the request (lasting until the rules are cleared). */
  timeout?: boolean;
  /** The next N calls are applied, then never answered. */
  timeoutAfterProcessing?: number;
  /** The next N calls answer `reasonCode` (default 150). */
  failNext?: number;
  /** Share (0..1) of calls answered with `reasonCode`. */
  errorRate?: number;
  reasonCode?: UnknownOutcomeCode;
  /** With failNext/errorRate: apply the request before answering the reason code (CyberSource timed out late). */
  afterProcessing?: boolean;
  /** The next N calls are applied, then the socket is destroyed instead of answering. */
  cutConnectionAfterProcessing?: number;
  /** The next N calls are applied, then answered HTTP 200 with a reply cut short (a proxy or load balancer broke it). */
  unreadableAnswerAfterProcessing?: number;
}

export interface FaultRule extends FaultRuleInput {
  id: string;
}

export interface FaultDecision {
  latencyMs: number;
  hangBefore: boolean;
  hangAfter: boolean;
  reasonCode?: UnknownOutcomeCode;
  reasonAfterProcessing: boolean;
  cutAfterProcessing: boolean;
  unreadableAfterProcessing: boolean;
}

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

  /** What happens to this call; consumes the counters it uses (one fault per call besides latency). */
  decide(operation: CyberSourceOperation): FaultDecision {
    const decision: FaultDecision = {
      latencyMs: 0,
      hangBefore: false,
      hangAfter: false,
      reasonAfterProcessing: false,
      cutAfterProcessing: false,
      unreadableAfterProcessing: false,
    };
    let taken = false;
    for (const rule of this.rules) {
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      decision.latencyMs += rule.latencyMs ?? 0;
      if (taken) continue;
      if (rule.timeout) {
        decision.hangBefore = taken = true;
      } else if ((rule.timeoutAfterProcessing ?? 0) > 0) {
        rule.timeoutAfterProcessing! -= 1;
        decision.hangAfter = taken = true;
      } else if ((rule.failNext ?? 0) > 0 || (rule.errorRate !== undefined && Math.random() < rule.errorRate)) {
        if ((rule.failNext ?? 0) > 0) rule.failNext! -= 1;
        decision.reasonCode = rule.reasonCode ?? 150;
        decision.reasonAfterProcessing = rule.afterProcessing ?? false;
        taken = true;
      } else if ((rule.cutConnectionAfterProcessing ?? 0) > 0) {
        rule.cutConnectionAfterProcessing! -= 1;
        decision.cutAfterProcessing = taken = true;
      } else if ((rule.unreadableAnswerAfterProcessing ?? 0) > 0) {
        rule.unreadableAnswerAfterProcessing! -= 1;
        decision.unreadableAfterProcessing = taken = true;
      }
    }
    this.rules = this.rules.filter((rule) => !isUsedUp(rule));
    return decision;
  }
}

/** A rule made only of counters is gone once they reach zero. */
function isUsedUp(rule: FaultRule): boolean {
  const lasting = (rule.latencyMs ?? 0) > 0 || rule.errorRate !== undefined || rule.timeout === true;
  const counting =
    (rule.failNext ?? 0) > 0 ||
    (rule.cutConnectionAfterProcessing ?? 0) > 0 ||
    (rule.timeoutAfterProcessing ?? 0) > 0 ||
    (rule.unreadableAnswerAfterProcessing ?? 0) > 0;
  return !lasting && !counting;
}
