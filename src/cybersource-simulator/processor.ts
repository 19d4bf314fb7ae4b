/**
 * The simulated transaction processor: sessions, authorizations (which create the Klarna order), reversals,
 * captures, refunds and check status, in memory, answering with CyberSource's reason codes (FACTS §1, §4).
 * Every answer is a ReplyParts; the server turns it into a replyMessage.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { toMajorUnits, toMinorUnits } from '../cybersource/currency.js';
import type { Fields } from '../cybersource/simple-order-xml.js';
import type { ReplyElement } from '../cybersource/simple-order-xsd.js';
import { KLARNA_MARKETS } from '../klarna/klarna-markets.js';
import type { SimulatorClock } from '../klarna-simulator/clock.js';
import type { CyberSourceOperation } from './faults.js';

export const SESSION_LIFETIME_MS = 48 * 3600 * 1000;
export const TOKEN_LIFETIME_MS = 60 * 60 * 1000;

export interface ReplyParts {
  decision: 'ACCEPT' | 'REJECT' | 'REVIEW' | 'ERROR';
  reasonCode: number;
  missingFields?: string[];
  invalidFields?: string[];
  sections?: Partial<Record<ReplyElement, Fields>>;
}

interface Content {
  currency: string;
  grandTotal: number;
  fields: Fields;
}

export interface SimulatedSession {
  requestId: string;
  merchantReferenceCode: string;
  createdAt: number;
  expiresAt: number;
  status: 'INITIATED' | 'COMPLETED';
  processorToken: string;
  content: Content;
  updates: number;
}

export type AuthorizeOutcome = 'approved' | 'pending' | 'declined';

interface WidgetToken {
  token: string;
  sessionRequestId: string;
  currency: string;
  grandTotal: number;
  expiresAt: number;
  outcome: AuthorizeOutcome;
  used: boolean;
}

export interface SimulatedTransaction {
  requestId: string;
  kind: 'authorization' | 'capture' | 'refund' | 'reversal';
  status: string;
  amount: number;
  currency: string;
  merchantReferenceCode: string;
  /** Authorization: what was captured; capture: what was refunded. */
  settled: number;
  parentRequestId?: string;
  sessionRequestId?: string;
}

/** Reason codes of refusals after validation ([SO-reference-codes]): 233 general decline, 235 amount too high, 243 already reversed/settled. */
const DECLINED = 233;
const AMOUNT_EXCEEDED = 235;
const ALREADY_REVERSED = 243;

export class SimulatedProcessor {
  readonly sessions = new Map<string, SimulatedSession>();
  readonly transactions = new Map<string, SimulatedTransaction>();
  private readonly tokens = new Map<string, WidgetToken>();
  private decisionManager: { decision: 'REVIEW' | 'REJECT'; remaining: number } | undefined;

  constructor(private readonly clock: SimulatorClock) {}

  clear(): void {
    this.sessions.clear();
    this.transactions.clear();
    this.tokens.clear();
    this.decisionManager = undefined;
  }

  /** The next `count` authorizations get Decision Manager's REVIEW (480) or REJECT (481). */
  setDecisionManager(decision: 'REVIEW' | 'REJECT', count: number): void {
    this.decisionManager = count > 0 ? { decision, remaining: count } : undefined;
  }

  /** Which operation a request is, or the reply refusing it (no service, or more than one). */
  operationOf(fields: Fields): CyberSourceOperation | ReplyParts {
    const services = Object.keys(fields).filter((name) => name.endsWith('Service_run'));
    if (services.length !== 1)
      return invalid(services.length === 0 ? 'c:apSessionsService' : services.map(serviceField).join(','));
    switch (services[0].replace('_run', '')) {
      case 'apSessionsService':
        return fields.apSessionsService_sessionsType === 'U' ? 'updateSession' : 'createSession';
      case 'apAuthService':
        return 'authorize';
      case 'apAuthReversalService':
        return 'reverseAuthorization';
      case 'apCaptureService':
        return 'capture';
      case 'apRefundService':
        return 'refund';
      default:
        return 'checkStatus';
    }
  }

  /** The request id this reply gets; a new one per request, as CyberSource's. */
  newRequestId(): string {
    return `${this.clock.now()}${String(randomInt(0, 1_000_000_000)).padStart(9, '0')}`;
  }

  process(operation: CyberSourceOperation, fields: Fields, itemCount: number, requestId: string): ReplyParts {
    const common = commonProblems(fields);
    if (common) return common;
    switch (operation) {
      case 'createSession':
        return this.createSession(fields, itemCount, requestId);
      case 'updateSession':
        return this.updateSession(fields, itemCount);
      case 'authorize':
        return this.authorize(fields, itemCount, requestId);
      case 'reverseAuthorization':
        return this.reverse(fields, requestId);
      case 'capture':
        return this.capture(fields, requestId);
      case 'refund':
        return this.refund(fields, requestId);
      case 'checkStatus':
        return this.checkStatus(fields);
    }
  }

  /** The shopper's authorize() in Klarna's widget: a token for the session's current content. */
  authorizeSession(
    requestId: string,
    outcome: AuthorizeOutcome | 'denied',
  ): { approved: true; authorization_token: string } | { approved: false } | undefined {
    const session = this.sessions.get(requestId);
    if (!session || session.status !== 'INITIATED' || this.clock.now() >= session.expiresAt) return undefined;
    if (outcome === 'denied') return { approved: false };
    const token = randomUUID();
    this.tokens.set(token, {
      token,
      sessionRequestId: requestId,
      currency: session.content.currency,
      grandTotal: session.content.grandTotal,
      expiresAt: this.clock.now() + TOKEN_LIFETIME_MS,
      outcome,
      used: false,
    });
    return { approved: true, authorization_token: token };
  }

  /** Klarna's late decision on a PENDING authorization. */
  settlePending(requestId: string, outcome: 'authorized' | 'failed'): SimulatedTransaction | undefined {
    const auth = this.transactions.get(requestId);
    if (!auth || auth.kind !== 'authorization' || auth.status !== 'PENDING') return undefined;
    auth.status = outcome === 'authorized' ? 'AUTHORIZED' : 'FAILED';
    return auth;
  }

  private createSession(fields: Fields, itemCount: number, requestId: string): ReplyParts {
    const content = readContent(fields, itemCount);
    if ('decision' in content) return content;
    const now = this.clock.now();
    const session: SimulatedSession = {
      requestId,
      merchantReferenceCode: fields.merchantReferenceCode,
      createdAt: now,
      expiresAt: now + SESSION_LIFETIME_MS,
      status: 'INITIATED',
      processorToken: `cs-sim.${randomBytes(24).toString('base64url')}`,
      content,
      updates: 0,
    };
    this.sessions.set(requestId, session);
    return accepted('apSessionsReply', {
      responseCode: '00000',
      processorToken: session.processorToken,
      amount: fields.purchaseTotals_grandTotalAmount,
      status: 'INITIATED',
      dateTime: new Date(now).toISOString(),
    });
  }

  private updateSession(fields: Fields, itemCount: number): ReplyParts {
    const session = this.liveSession(fields.apSessionsService_sessionsRequestID);
    if (!session) return invalid('c:apSessionsService/c:sessionsRequestID');
    const content = readContent(fields, itemCount);
    if ('decision' in content) return content;
    if (content.currency !== session.content.currency) return invalid('c:purchaseTotals/c:currency');
    session.content = content;
    session.updates += 1;
    return accepted('apSessionsReply', {
      responseCode: '00000',
      processorToken: session.processorToken,
      amount: fields.purchaseTotals_grandTotalAmount,
      status: 'INITIATED',
    });
  }

  private authorize(fields: Fields, itemCount: number, requestId: string): ReplyParts {
    if (!fields.apAuthService_preapprovalToken) return missing('c:apAuthService/c:preapprovalToken');
    const token = this.tokens.get(fields.apAuthService_preapprovalToken);
    if (!token || token.used || this.clock.now() >= token.expiresAt)
      return invalid('c:apAuthService/c:preapprovalToken');
    const content = readContent(fields, itemCount);
    if ('decision' in content) return content;
    // Klarna creates the order only for what the shopper authorized.
    if (content.currency !== token.currency) return invalid('c:purchaseTotals/c:currency');
    if (content.grandTotal !== token.grandTotal) return invalid('c:purchaseTotals/c:grandTotalAmount');

    const decisionManager = this.takeDecisionManager();
    if (decisionManager === 'REJECT') return { decision: 'REJECT', reasonCode: 481 };
    token.used = true;
    const amount = fields.purchaseTotals_grandTotalAmount;
    if (token.outcome === 'declined') {
      return {
        decision: 'REJECT',
        reasonCode: DECLINED,
        sections: { apAuthReply: { reasonCode: String(DECLINED), status: 'FAILED', amount } },
      };
    }
    const status = token.outcome === 'pending' || decisionManager === 'REVIEW' ? 'PENDING' : 'AUTHORIZED';
    this.transactions.set(requestId, {
      requestId,
      kind: 'authorization',
      status,
      amount: content.grandTotal,
      currency: content.currency,
      merchantReferenceCode: fields.merchantReferenceCode,
      settled: 0,
      sessionRequestId: token.sessionRequestId,
    });
    const session = this.sessions.get(token.sessionRequestId);
    if (session) session.status = 'COMPLETED';
    const reply = {
      status,
      amount,
      dateTime: new Date(this.clock.now()).toISOString(),
      responseCode: status === 'PENDING' ? '00001' : '00003',
    };
    if (decisionManager === 'REVIEW') {
      return { decision: 'REVIEW', reasonCode: 480, sections: { apAuthReply: { reasonCode: '100', ...reply } } };
    }
    return accepted('apAuthReply', reply);
  }

  private reverse(fields: Fields, requestId: string): ReplyParts {
    const auth = this.transactionOf('authorization', fields.apAuthReversalService_authRequestID);
    if (!auth) return invalid('c:apAuthReversalService/c:authRequestID');
    if (!['AUTHORIZED', 'PENDING'].includes(auth.status) || auth.settled > 0) {
      return { decision: 'REJECT', reasonCode: ALREADY_REVERSED };
    }
    auth.status = 'AUTH_REVERSED';
    this.transactions.set(requestId, {
      requestId,
      kind: 'reversal',
      status: 'AUTH_REVERSED',
      amount: auth.amount,
      currency: auth.currency,
      merchantReferenceCode: fields.merchantReferenceCode,
      settled: 0,
      parentRequestId: auth.requestId,
    });
    return accepted('apAuthReversalReply', {
      status: 'AUTH_REVERSED',
      amount: toMajorUnits(auth.amount, auth.currency),
      responseCode: '00008',
    });
  }

  private capture(fields: Fields, requestId: string): ReplyParts {
    const auth = this.transactionOf('authorization', fields.apCaptureService_authRequestID);
    if (!auth) return invalid('c:apCaptureService/c:authRequestID');
    const amount = this.amount(fields, auth.currency);
    if (typeof amount !== 'number') return amount;
    if (auth.status === 'AUTH_REVERSED') return { decision: 'REJECT', reasonCode: ALREADY_REVERSED };
    if (auth.status !== 'AUTHORIZED') return { decision: 'REJECT', reasonCode: DECLINED };
    if (amount > auth.amount - auth.settled) return { decision: 'REJECT', reasonCode: AMOUNT_EXCEEDED };
    auth.settled += amount;
    this.transactions.set(requestId, {
      requestId,
      kind: 'capture',
      status: 'PENDING',
      amount,
      currency: auth.currency,
      merchantReferenceCode: fields.merchantReferenceCode,
      settled: 0,
      parentRequestId: auth.requestId,
    });
    return accepted('apCaptureReply', {
      status: 'PENDING',
      amount: fields.purchaseTotals_grandTotalAmount,
      responseCode: '00001',
    });
  }

  private refund(fields: Fields, requestId: string): ReplyParts {
    const capture = this.transactionOf(
      'capture',
      fields.apRefundService_captureRequestID ?? fields.apRefundService_refundRequestID,
    );
    if (!capture) return invalid('c:apRefundService/c:captureRequestID');
    const amount = this.amount(fields, capture.currency);
    if (typeof amount !== 'number') return amount;
    if (amount > capture.amount - capture.settled) return { decision: 'REJECT', reasonCode: AMOUNT_EXCEEDED };
    capture.settled += amount;
    this.transactions.set(requestId, {
      requestId,
      kind: 'refund',
      status: 'PENDING',
      amount,
      currency: capture.currency,
      merchantReferenceCode: fields.merchantReferenceCode,
      settled: 0,
      parentRequestId: capture.requestId,
    });
    return accepted('apRefundReply', {
      status: 'PENDING',
      amount: fields.purchaseTotals_grandTotalAmount,
      responseCode: '00001',
    });
  }

  private checkStatus(fields: Fields): ReplyParts {
    const sessionId = fields.apCheckStatusService_sessionsRequestID;
    if (sessionId) {
      const session = this.sessions.get(sessionId);
      if (!session) return invalid('c:apCheckStatusService/c:sessionsRequestID');
      const expired = this.clock.now() >= session.expiresAt;
      const status = session.status === 'COMPLETED' ? 'COMPLETED' : expired ? 'ABANDONED' : 'INITIATED';
      return withTotals(
        accepted('apCheckStatusReply', {
          paymentStatus: status,
          expirationDateTime: new Date(session.expiresAt).toISOString(),
        }),
        session.content.currency,
        session.content.grandTotal,
      );
    }
    const transaction = this.transactions.get(fields.apCheckStatusService_checkStatusRequestID ?? '');
    if (!transaction) return invalid('c:apCheckStatusService/c:checkStatusRequestID');
    return withTotals(
      accepted('apCheckStatusReply', { paymentStatus: this.statusOf(transaction) }),
      transaction.currency,
      transaction.amount,
    );
  }

  /** Captures settle and refunds complete by the time anyone checks: the simulator has no settlement batch. */
  private statusOf(transaction: SimulatedTransaction): string {
    if (transaction.kind === 'capture') return 'SETTLED';
    if (transaction.kind === 'refund') return 'REFUNDED';
    if (
      transaction.kind === 'authorization' &&
      transaction.status === 'AUTHORIZED' &&
      transaction.settled === transaction.amount
    ) {
      return 'SETTLED';
    }
    return transaction.status;
  }

  private liveSession(requestId: string | undefined): SimulatedSession | undefined {
    const session = requestId ? this.sessions.get(requestId) : undefined;
    if (!session || session.status !== 'INITIATED' || this.clock.now() >= session.expiresAt) return undefined;
    return session;
  }

  private transactionOf(
    kind: SimulatedTransaction['kind'],
    requestId: string | undefined,
  ): SimulatedTransaction | undefined {
    const transaction = requestId ? this.transactions.get(requestId) : undefined;
    return transaction?.kind === kind ? transaction : undefined;
  }

  private amount(fields: Fields, currency: string): number | ReplyParts {
    if (!fields.purchaseTotals_grandTotalAmount) return missing('c:purchaseTotals/c:grandTotalAmount');
    if (fields.purchaseTotals_currency !== currency) return invalid('c:purchaseTotals/c:currency');
    const amount = toMinorUnits(fields.purchaseTotals_grandTotalAmount, currency);
    return amount === undefined || amount <= 0 ? invalid('c:purchaseTotals/c:grandTotalAmount') : amount;
  }

  private takeDecisionManager(): 'REVIEW' | 'REJECT' | undefined {
    const rule = this.decisionManager;
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.decisionManager = undefined;
    return rule.decision;
  }
}

/** Fields every Klarna request needs. */
function commonProblems(fields: Fields): ReplyParts | undefined {
  const absent = ['merchantReferenceCode', 'apPaymentType'].filter((name) => !fields[name]);
  if (absent.length > 0)
    return { decision: 'REJECT', reasonCode: 101, missingFields: absent.map((name) => `c:${name}`) };
  if (fields.apPaymentType !== 'KLI') return invalid('c:apPaymentType');
  return undefined;
}

/**
 * Items and totals of a session or authorization: required fields (101), amounts in the currency's decimals,
 * the language, and the grand-total rule [SO-total] (102).
 */
function readContent(fields: Fields, itemCount: number): Content | ReplyParts {
  const required = ['purchaseTotals_currency', 'purchaseTotals_grandTotalAmount', 'billTo_country'];
  for (let i = 0; i < itemCount; i++)
    required.push(`item_${i}_unitPrice`, `item_${i}_quantity`, `item_${i}_productName`);
  const absent = required.filter((name) => !fields[name]);
  if (itemCount === 0) absent.push('item_0_unitPrice');
  if (absent.length > 0) return { decision: 'REJECT', reasonCode: 101, missingFields: absent.map(xpathOf) };

  const currency = fields.purchaseTotals_currency;
  const problems: string[] = [];
  const amount = (name: string): number => {
    const value = fields[name] === undefined ? 0 : toMinorUnits(fields[name], currency);
    if (value === undefined) problems.push(name);
    return value ?? 0;
  };
  let grand = 0;
  for (let i = 0; i < itemCount; i++) {
    const quantity = Number(fields[`item_${i}_quantity`]);
    if (!Number.isInteger(quantity) || quantity < 1) problems.push(`item_${i}_quantity`);
    const line = amount(`item_${i}_unitPrice`) * quantity;
    amount(`item_${i}_taxAmount`);
    amount(`item_${i}_totalAmount`);
    amount(`item_${i}_discountAmount`);
    grand += fields[`item_${i}_productCode`] === 'coupon' ? -line : line;
  }
  grand += amount('purchaseTotals_taxAmount') - amount('purchaseTotals_discountAmount');
  const grandTotal = amount('purchaseTotals_grandTotalAmount');
  const language = fields.billTo_language;
  // ISO language with an optional ISO country: en-GB passes, en-UK does not (as in CyberSource's SAP plugin tests).
  if (language !== undefined && !/^[a-z]{2}(-[A-Z]{2})?$/.test(language)) problems.push('billTo_language');
  else if (language?.includes('-') && !(language.slice(3) in KLARNA_MARKETS)) problems.push('billTo_language');
  if (!/^[A-Z]{2}$/.test(fields.billTo_country)) problems.push('billTo_country');
  if (problems.length === 0 && grand !== grandTotal) problems.push('purchaseTotals_grandTotalAmount');
  if (problems.length > 0) return { decision: 'REJECT', reasonCode: 102, invalidFields: problems.map(xpathOf) };
  return { currency, grandTotal, fields };
}

/** `billTo_language` -> `c:billTo/c:language`, `item_0_unitPrice` -> `c:item_0/c:unitPrice` (CyberSource's style). */
function xpathOf(field: string): string {
  const cut = field.startsWith('item_') ? field.indexOf('_', 5) : field.indexOf('_');
  return `c:${field.slice(0, cut)}/c:${field.slice(cut + 1)}`;
}

function serviceField(name: string): string {
  return `c:${name.replace('_run', '')}`;
}

function accepted(section: ReplyElement, fields: Fields): ReplyParts {
  return { decision: 'ACCEPT', reasonCode: 100, sections: { [section]: { reasonCode: '100', ...fields } } };
}

function withTotals(reply: ReplyParts, currency: string, amount: number): ReplyParts {
  return {
    ...reply,
    sections: { ...reply.sections, purchaseTotals: { currency, grandTotalAmount: toMajorUnits(amount, currency) } },
  };
}

function missing(field: string): ReplyParts {
  return { decision: 'REJECT', reasonCode: 101, missingFields: [field] };
}

function invalid(field: string): ReplyParts {
  return { decision: 'REJECT', reasonCode: 102, invalidFields: [field] };
}
