/**
 * What a Simple Order reply means (FACTS §4, [SO-reference-codes]): success, pending, or one KlarnaApiError
 * the rest of the service already understands (status 400 like Klarna's BAD_VALUE, 404 for an unknown or
 * expired reference, 403 for a refusal, 500 with outcomeUnknown for 150/151/152).
 */
import { KlarnaApiError } from '../klarna/klarna-api.error.js';
import type { SimpleOrderReply } from './simple-order-xml.js';

/** The processor's responseCode gives the sub-status when no status field is sent (FACTS §4). */
const RESPONSE_CODE_STATUS: Record<string, string> = {
  '00000': 'COMPLETED',
  '00001': 'PENDING',
  '00002': 'ABANDONED',
  '00003': 'AUTHORIZED',
  '00004': 'SETTLED',
  '00006': 'REFUNDED',
  '00008': 'AUTH_REVERSED',
  '00011': 'CHARGEBACK',
};

/**
 * Request ids and tokens we send that point at an earlier step. A 102 naming only these means the step is
 * unknown, used or expired (a session after 48 h, a spent widget token): callers treat it like Klarna's 404 and
 * start again (a new session) instead of showing a validation error. Our reading, not CyberSource's words.
 */
const REFERENCE_FIELDS = [
  'sessionsRequestID',
  'preapprovalToken',
  'authRequestID',
  'captureRequestID',
  'refundRequestID',
  'checkStatusRequestID',
];

const UNKNOWN_OUTCOME: Record<number, string> = {
  150: 'SYSTEM_ERROR',
  151: 'SERVER_TIMEOUT',
  152: 'SERVICE_TIMEOUT',
};

export interface AcceptedReply {
  reply: SimpleOrderReply;
  /** PENDING from the processor, or Decision Manager's review (480). */
  pending: boolean;
}

/** The sub-status of one reply section (`apAuthReply`...): its status, paymentStatus, or responseCode. */
export function subStatus(reply: SimpleOrderReply, section: string): string | undefined {
  const { fields } = reply;
  return (
    fields[`${section}_status`] ??
    fields[`${section}_paymentStatus`] ??
    RESPONSE_CODE_STATUS[fields[`${section}_responseCode`] ?? '']
  );
}

/** Accepts a reply or throws the KlarnaApiError it amounts to. */
export function acceptReply(
  operation: string,
  reply: SimpleOrderReply,
  section: string,
  /** False for check status, where FAILED is a state to report, not a refusal of this request. */
  failedIsRefusal = true,
): AcceptedReply {
  const correlationId = reply.requestID || undefined;
  const refuse = (status: number, errorCode: string, messages: string[]): never => {
    throw new KlarnaApiError(operation, status, errorCode, messages, correlationId, 'http');
  };
  const code = reply.reasonCode;
  const accepted = (): AcceptedReply => {
    const status = subStatus(reply, section);
    if (status === 'FAILED' && failedIsRefusal)
      refuse(403, 'DECLINED', [`CyberSource: ${section} status FAILED (reason code ${code})`]);
    return { reply, pending: code === 480 || reply.decision === 'REVIEW' || status === 'PENDING' };
  };
  if (code === 100 || code === 480) return accepted();
  if (code === 101)
    return refuse(
      400,
      'BAD_VALUE',
      reply.missingFields.map((field) => `Missing field: ${field}`),
    );
  if (code === 102) {
    const fields = reply.invalidFields;
    if (fields.length > 0 && fields.every((field) => REFERENCE_FIELDS.some((name) => field.endsWith(name)))) {
      return refuse(
        404,
        'NOT_FOUND',
        fields.map((field) => `Unknown, used or expired: ${field}`),
      );
    }
    return refuse(
      400,
      'BAD_VALUE',
      fields.map((field) => `Invalid field: ${field}`),
    );
  }
  if (code in UNKNOWN_OUTCOME) {
    // CyberSource: never build automatic resends for these; the request may have been processed. Check status first.
    return refuse(500, UNKNOWN_OUTCOME[code], [
      `CyberSource reason code ${code}: outcome unknown, check status before any retry`,
    ]);
  }
  if (code === 481) return refuse(403, 'REJECTED', ['CyberSource Decision Manager rejected the request (481)']);
  // Any other code: CyberSource says to decide on `decision`.
  if (reply.decision === 'ACCEPT' || reply.decision === 'REVIEW') return accepted();
  if (reply.decision === 'ERROR') {
    return refuse(500, 'SYSTEM_ERROR', [`CyberSource reason code ${code}, decision ERROR: outcome unknown`]);
  }
  return refuse(403, 'DECLINED', [`CyberSource declined the request (reason code ${code})`]);
}
