/**
 * A stand-in for CyberSource's Simple Order API transaction processor, for tests and the offline sandbox. It is
 * NOT CyberSource: see README.md in this folder for what it checks and where it differs.
 * Plain Fastify, in memory: one SOAP endpoint (/commerce/1.x/transactionProcessor) and control endpoints under /_sim.
 */
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { replyMessageXml, type Fields } from '../cybersource/simple-order-xml.js';
import { SOAP_ENV, verifyEnvelope } from '../cybersource/ws-security.js';
import { SimulatorClock } from '../klarna-simulator/clock.js';
import { CYBERSOURCE_OPERATIONS, FaultInjector, type CyberSourceOperation, type FaultRuleInput } from './faults.js';
import { SimulatedProcessor, type ReplyParts } from './processor.js';
import { readRequestMessage } from './request-reader.js';

export const TRANSACTION_PROCESSOR_PATH = '/commerce/1.x/transactionProcessor';

export interface CyberSourceSimulatorOptions {
  /** The merchant id requests must carry (the P12's). */
  merchantId: string;
  /** The merchant's certificate (PEM): the only one whose signatures are accepted. */
  certificatePem: string;
  /** 0 = a random free port. */
  port?: number;
  host?: string;
  logCalls?: boolean;
}

export interface CyberSourceSimulator {
  /** Base URL, e.g. http://127.0.0.1:54321 (no trailing slash). */
  url: string;
  /** The transaction processor endpoint: CYBERSOURCE_ENDPOINT. */
  endpoint: string;
  merchantId: string;
  close(): Promise<void>;
}

export interface RecordedCyberSourceCall {
  operation: CyberSourceOperation | 'unknown';
  /** The request in name-value form (`billTo_country`, `item_0_unitPrice`), as CyberSource documents its fields. */
  fields: Fields;
  requestID: string | null;
  decision: string | null;
  reasonCode: number | null;
  /** Set when the request was refused before processing (signature, schema). */
  soapFault?: string;
  fault?: 'latency' | 'timeout' | 'timeout_after_processing' | 'reason_code' | 'cut' | 'unreadable';
  at: string;
}

export async function startCyberSourceSimulator(options: CyberSourceSimulatorOptions): Promise<CyberSourceSimulator> {
  const host = options.host ?? '127.0.0.1';
  const server = new SimulatorServer(options);
  const port = await server.listen(options.port ?? 0, host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    endpoint: `${url}${TRANSACTION_PROCESSOR_PATH}`,
    merchantId: options.merchantId,
    close: () => server.close(),
  };
}

class SimulatorServer {
  private readonly app: FastifyInstance;
  private readonly clock = new SimulatorClock();
  private readonly processor = new SimulatedProcessor(this.clock);
  private readonly faults = new FaultInjector();
  private calls: RecordedCyberSourceCall[] = [];

  constructor(private readonly options: CyberSourceSimulatorOptions) {
    // forceCloseConnections: close() must not wait for requests a timeout fault keeps open.
    this.app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 10 * 1024 * 1024 });
    this.app.removeAllContentTypeParsers();
    this.app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    this.app.post(TRANSACTION_PROCESSOR_PATH, (request, reply) => this.transaction(request, reply));
    this.registerControlRoutes();
  }

  async listen(port: number, host: string): Promise<number> {
    await this.app.listen({ port, host });
    const address = this.app.server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  close(): Promise<void> {
    return this.app.close();
  }

  private async transaction(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const call: RecordedCyberSourceCall = {
      operation: 'unknown',
      fields: {},
      requestID: null,
      decision: null,
      reasonCode: null,
      at: this.clock.nowIso(),
    };
    const xml = typeof request.body === 'string' ? request.body : '';
    const signature = verifyEnvelope(xml, this.options.certificatePem);
    if (!signature.valid) return this.soapFault(reply, call, 'wsse:FailedCheck', `Security error: ${signature.reason}`);
    const read = readRequestMessage(signature.signedBody);
    if (!read.ok) return this.soapFault(reply, call, 'soap:Client', `XML parse error: ${read.problem}`);
    call.fields = read.fields;
    if (read.fields.merchantID !== this.options.merchantId) {
      return this.soapFault(
        reply,
        call,
        'wsse:FailedCheck',
        'Security error: merchantID does not match the certificate',
      );
    }
    const requestId = this.processor.newRequestId();
    const operation = this.processor.operationOf(read.fields);
    if (typeof operation !== 'string') return this.answer(reply, call, requestId, operation);
    call.operation = operation;

    const fault = this.faults.decide(operation);
    if (fault.latencyMs > 0) {
      call.fault = 'latency';
      await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
    }
    if (fault.hangBefore) {
      call.fault = 'timeout';
      this.record(call);
      reply.hijack();
      return;
    }
    if (fault.reasonCode !== undefined && !fault.reasonAfterProcessing) {
      call.fault = 'reason_code';
      return this.answer(reply, call, requestId, { decision: 'ERROR', reasonCode: fault.reasonCode });
    }
    const result = this.processor.process(operation, read.fields, read.itemCount, requestId);
    if (fault.reasonCode !== undefined) {
      call.fault = 'reason_code';
      return this.answer(reply, call, requestId, { decision: 'ERROR', reasonCode: fault.reasonCode });
    }
    if (fault.hangAfter || fault.cutAfterProcessing) {
      call.fault = fault.hangAfter ? 'timeout_after_processing' : 'cut';
      Object.assign(call, { requestID: requestId, decision: result.decision, reasonCode: result.reasonCode });
      this.record(call);
      reply.hijack();
      if (fault.cutAfterProcessing) request.raw.socket.destroy();
      return;
    }
    if (fault.unreadableAfterProcessing) {
      call.fault = 'unreadable';
      Object.assign(call, { requestID: requestId, decision: result.decision, reasonCode: result.reasonCode });
      this.record(call);
      // Applied, and answered 200 with a reply cut short: the caller cannot tell what happened.
      void reply
        .code(200)
        .type('text/xml; charset=utf-8')
        .send(envelope(`<c:replyMessage xmlns:c="urn:schemas-cybersource-com:transaction-data-1.224"><c:requestID>`));
      return;
    }
    return this.answer(reply, call, requestId, result);
  }

  private answer(reply: FastifyReply, call: RecordedCyberSourceCall, requestId: string, result: ReplyParts): void {
    Object.assign(call, { requestID: requestId, decision: result.decision, reasonCode: result.reasonCode });
    this.record(call);
    const message = replyMessageXml({
      merchantReferenceCode: call.fields.merchantReferenceCode,
      requestID: requestId,
      decision: result.decision,
      reasonCode: result.reasonCode,
      missingFields: result.missingFields,
      invalidFields: result.invalidFields,
      requestToken: randomBytes(32).toString('base64'),
      sections: result.sections,
    });
    void reply.code(200).type('text/xml; charset=utf-8').send(envelope(message));
  }

  /** What CyberSource answers to a request it will not read: a SOAP 1.1 fault, HTTP 500. */
  private soapFault(reply: FastifyReply, call: RecordedCyberSourceCall, code: string, text: string): void {
    call.soapFault = `${code}: ${text}`;
    this.record(call);
    const fault =
      `<soap:Fault xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">` +
      `<faultcode>${code}</faultcode><faultstring>${escapeXml(text)}</faultstring></soap:Fault>`;
    void reply.code(500).type('text/xml; charset=utf-8').send(envelope(fault));
  }

  private record(call: RecordedCyberSourceCall): void {
    this.calls.push(call);
    if (this.calls.length > 10_000) this.calls.shift();
    if (this.options.logCalls) {
      console.log(
        `cybersource-simulator ${call.operation} -> ${call.soapFault ?? `${call.decision} ${call.reasonCode}`}${call.fault ? ` (${call.fault})` : ''}`,
      );
    }
  }

  private registerControlRoutes(): void {
    const app = this.app;
    const json = (reply: FastifyReply, status: number, body?: unknown) => {
      void reply.code(status);
      return body === undefined ? reply.send() : reply.type('application/json').send(JSON.stringify(body));
    };
    const body = (request: FastifyRequest): Record<string, unknown> => {
      try {
        const text = typeof request.body === 'string' ? request.body : '';
        return text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
      } catch {
        return { invalid: true };
      }
    };
    const id = (request: FastifyRequest) => (request.params as { id: string }).id;

    app.post('/_sim/sessions/:id/authorize', (request, reply) => {
      const outcome = body(request).outcome ?? 'approved';
      if (!['approved', 'pending', 'declined', 'denied'].includes(outcome as string)) {
        return json(reply, 400, { error: 'outcome must be approved, pending, declined or denied' });
      }
      const result = this.processor.authorizeSession(id(request), outcome as 'approved');
      return result ? json(reply, 200, result) : json(reply, 404, { error: 'no open session with this request id' });
    });
    app.post('/_sim/authorizations/:id/settle', (request, reply) => {
      const outcome = body(request).outcome ?? 'authorized';
      if (outcome !== 'authorized' && outcome !== 'failed')
        return json(reply, 400, { error: 'outcome must be authorized or failed' });
      const settled = this.processor.settlePending(id(request), outcome);
      return settled
        ? json(reply, 200, settled)
        : json(reply, 409, { error: 'no PENDING authorization with this request id' });
    });
    app.post('/_sim/decision-manager', (request, reply) => {
      const { decision, count = 1 } = body(request);
      if ((decision !== 'REVIEW' && decision !== 'REJECT') || !Number.isInteger(count)) {
        return json(reply, 400, { error: 'decision must be REVIEW or REJECT, count an integer' });
      }
      this.processor.setDecisionManager(decision, count as number);
      return json(reply, 201, { decision, count });
    });
    app.get('/_sim/sessions/:id', (request, reply) => {
      const session = this.processor.sessions.get(id(request));
      return session ? json(reply, 200, session) : json(reply, 404, { error: 'unknown session' });
    });
    app.get('/_sim/transactions/:id', (request, reply) => {
      const transaction = this.processor.transactions.get(id(request));
      return transaction ? json(reply, 200, transaction) : json(reply, 404, { error: 'unknown transaction' });
    });
    app.get('/_sim/calls', (request, reply) => {
      const operation = (request.query as { operation?: string }).operation;
      return json(reply, 200, { calls: this.calls.filter((call) => !operation || call.operation === operation) });
    });
    app.delete('/_sim/calls', (_request, reply) => {
      this.calls = [];
      return json(reply, 204);
    });
    app.get('/_sim/faults', (_request, reply) => json(reply, 200, { faults: this.faults.list() }));
    app.post('/_sim/faults', (request, reply) => {
      const input = body(request);
      const problem = faultProblem(input);
      if (problem) return json(reply, 400, { error: problem });
      return json(reply, 201, { id: this.faults.add(input as FaultRuleInput).id });
    });
    app.delete('/_sim/faults', (_request, reply) => {
      this.faults.clear();
      return json(reply, 204);
    });
    app.get('/_sim/clock', (_request, reply) => json(reply, 200, { now: this.clock.nowIso() }));
    app.post('/_sim/clock', (request, reply) => {
      const { advanceMs, now } = body(request);
      if (typeof advanceMs === 'number' && advanceMs >= 0) this.clock.advance(advanceMs);
      else if (typeof now === 'string' && !Number.isNaN(Date.parse(now))) this.clock.set(now);
      else return json(reply, 400, { error: 'send { advanceMs } or { now: ISO date }' });
      return json(reply, 200, { now: this.clock.nowIso() });
    });
    app.post('/_sim/reset', (_request, reply) => {
      this.processor.clear();
      this.faults.clear();
      this.calls = [];
      this.clock.reset();
      return json(reply, 204);
    });
  }
}

const FAULT_KEYS = new Set([
  'operation',
  'latencyMs',
  'timeout',
  'timeoutAfterProcessing',
  'failNext',
  'errorRate',
  'reasonCode',
  'afterProcessing',
  'cutConnectionAfterProcessing',
  'unreadableAnswerAfterProcessing',
]);

function faultProblem(input: Record<string, unknown>): string | undefined {
  const unknown = Object.keys(input).find((key) => !FAULT_KEYS.has(key));
  if (unknown) return `unknown fault setting ${unknown}`;
  if (input.operation !== undefined && !(CYBERSOURCE_OPERATIONS as readonly unknown[]).includes(input.operation)) {
    return `operation must be one of ${CYBERSOURCE_OPERATIONS.join(', ')}`;
  }
  for (const key of [
    'latencyMs',
    'timeoutAfterProcessing',
    'failNext',
    'cutConnectionAfterProcessing',
    'unreadableAnswerAfterProcessing',
  ]) {
    if (input[key] !== undefined && !(Number.isInteger(input[key]) && (input[key] as number) >= 0))
      return `${key} must be a count`;
  }
  if (input.reasonCode !== undefined && ![150, 151, 152].includes(input.reasonCode as number))
    return 'reasonCode must be 150, 151 or 152';
  if (
    input.errorRate !== undefined &&
    !(typeof input.errorRate === 'number' && input.errorRate >= 0 && input.errorRate <= 1)
  ) {
    return 'errorRate must be between 0 and 1';
  }
  return undefined;
}

function envelope(content: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_ENV}"><soap:Body>${content}</soap:Body></soap:Envelope>`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
