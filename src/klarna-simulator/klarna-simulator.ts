/**
 * A stateful stand-in for Klarna Payments and Order Management over real HTTP, for tests, the offline sandbox and
 * benchmarks. It is NOT Klarna: see README.md in this folder for what it checks and where it differs.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CallLog, type RecordedCall } from './call-log.js';
import { CallbackSender } from './callbacks.js';
import { SimulatorClock } from './clock.js';
import { parseJson, registerControlRoutes } from './control-api.js';
import { FaultInjector, type KlarnaOperationName } from './faults.js';
import { KlarnaError, errorBody } from './klarna-error.js';
import type {
  CaptureRequest,
  CreateOrderRequest,
  CustomerDetailsRequest,
  CustomerTokenRequest,
  MerchantReferencesRequest,
  RefundRequest,
  SessionFields,
  ShippingInfoRequest,
  UpdateAuthorizationRequest,
} from './klarna-types.js';
import { OrderManagementApi } from './order-management-api.js';
import { PaymentsApi } from './payments-api.js';
import type { OperationResult, SimulatorContext } from './simulator-context.js';
import { specValidator, type RequestSchema } from './spec-validator.js';
import { SimulatorState } from './state.js';

const FAULT_ERROR_CODES: Record<number, string> = {
  400: 'BAD_VALUE',
  403: 'NOT_ALLOWED',
  409: 'CONFLICT',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  502: 'TEMPORARILY_UNAVAILABLE',
  503: 'TEMPORARILY_UNAVAILABLE',
};

export interface KlarnaSimulatorOptions {
  /** 0 = a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Basic auth username Klarna paths require; default 'simulator'. */
  username?: string;
  /** Basic auth password; default 'simulator'. */
  password?: string;
  /** Print one line per Klarna call to stdout (recording in /_sim/calls happens regardless). */
  logCalls?: boolean;
}

export interface KlarnaSimulator {
  /** e.g. http://127.0.0.1:54321, no trailing slash. */
  url: string;
  username: string;
  password: string;
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    correlationId: string;
  }
}

type Params = Record<string, string>;

interface KlarnaRoute {
  operation: KlarnaOperationName;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  /** The spec schema the body must satisfy. */
  schema?: RequestSchema;
  /**
   * Honours `Klarna-Idempotency-Key`: OM-SPEC on every POST/PATCH of an order (a key per order); KP-SPEC on create
   * session, create order and customer token (a key alone).
   */
  idempotent?: 'per-order' | 'per-key';
  handle(params: Params, body: unknown): OperationResult;
}

/**
 * The stand-in for Klarna's JS SDK (src/klarna-simulator/sdk/klarna-payments.ts, built by `npm run build` into
 * dist/web), from src/ and dist/ alike.
 */
export const STAND_IN_SDK_FILE = fileURLToPath(
  new URL('../../dist/web/klarna-simulator/sdk/klarna-payments.js', import.meta.url),
);
/** What a shop's page puts in its script tag when Klarna is this simulator. */
export const STAND_IN_SDK_PATH = '/_sim/sdk/klarna-payments.js';
/** The control endpoints the stand-in SDK calls from the shop's page (another origin). */
const BROWSER_CONTROL_ROUTE = /^\/_sim\/sessions\/[^/]+\/(re)?authorize$/;

const KP = '/payments/v1';
const OM = '/ordermanagement/v1/orders/:orderId';
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export async function startKlarnaSimulator(options: KlarnaSimulatorOptions = {}): Promise<KlarnaSimulator> {
  const host = options.host ?? '127.0.0.1';
  const username = options.username ?? 'simulator';
  const password = options.password ?? 'simulator';
  const simulator = new SimulatorServer(username, password, options.logCalls ?? false);
  const port = await simulator.listen(options.port ?? 0, host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  simulator.baseUrl = url;
  return { url, username, password, close: () => simulator.close() };
}

class SimulatorServer {
  baseUrl = '';
  private readonly app: FastifyInstance;
  private readonly clock = new SimulatorClock();
  private readonly state = new SimulatorState();
  private readonly callbacks = new CallbackSender(this.clock);
  private readonly calls = new CallLog();
  private readonly faults = new FaultInjector();
  private readonly validator = specValidator();
  private readonly credentials: string;

  constructor(
    username: string,
    password: string,
    private readonly logCalls: boolean,
  ) {
    this.credentials = `${username}:${password}`;
    const context: SimulatorContext = {
      state: this.state,
      clock: this.clock,
      callbacks: this.callbacks,
      baseUrl: () => this.baseUrl,
    };
    const payments = new PaymentsApi(context);
    const orderManagement = new OrderManagementApi(context);

    // forceCloseConnections: close() must not wait for requests a `timeout` fault keeps open.
    this.app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: MAX_BODY_BYTES });
    this.app.decorateRequest('correlationId', '');
    this.app.addHook('onRequest', (request, reply, done) => {
      request.correlationId = randomUUID();
      void reply.header('Klarna-Correlation-Id', request.correlationId);
      done();
    });
    // Bodies arrive as text and are parsed by the handlers: malformed JSON gets a Klarna-shaped 400 after auth.
    this.app.removeAllContentTypeParsers();
    this.app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    this.app.setNotFoundHandler((request, reply) => {
      void reply
        .code(404)
        .send(errorBody(request.correlationId, 'NOT_FOUND', [`No such endpoint: ${request.method} ${request.url}`]));
    });
    this.app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
      const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
      const code = status === 413 ? 'REQUEST_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
      void reply.code(status).send(errorBody(request.correlationId, code, [error.message]));
    });

    for (const route of klarnaRoutes(payments, orderManagement)) {
      this.app.route({
        method: route.method,
        url: route.url,
        handler: (request, reply) => this.handleKlarnaCall(route, request, reply),
      });
    }
    registerControlRoutes(this.app, {
      state: this.state,
      clock: this.clock,
      callbacks: this.callbacks,
      calls: this.calls,
      faults: this.faults,
      payments,
      orderManagement,
      send: (request, reply, result) => this.send(reply, result),
    });
    this.registerStandInSdk();
    this.app.get('/redirect/*', (request, reply) => {
      void reply.type('text/plain').send(`Klarna simulator redirect: ${request.url}. This is not Klarna.\n`);
    });
  }

  /**
   * The stand-in SDK and the CORS its authorize call needs: the page runs on the shop's origin, the simulator on
   * its own (real Klarna draws an iframe from its own origin instead; the stand-in draws into the container).
   */
  private registerStandInSdk(): void {
    this.app.addHook('onSend', (request, reply, payload, done) => {
      if (BROWSER_CONTROL_ROUTE.test(request.url)) void reply.header('access-control-allow-origin', '*');
      done(null, payload);
    });
    for (const url of ['/_sim/sessions/:id/authorize', '/_sim/sessions/:id/reauthorize']) {
      this.app.options(url, (_request, reply) => {
        void reply
          .code(204)
          .header('access-control-allow-methods', 'POST')
          .header('access-control-allow-headers', 'content-type')
          .header('access-control-max-age', '600')
          .send();
      });
    }
    this.app.get(STAND_IN_SDK_PATH, async (_request, reply) => {
      try {
        const source = await readFile(STAND_IN_SDK_FILE, 'utf8');
        return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(source);
      } catch {
        return reply
          .code(404)
          .type('text/plain')
          .send('The stand-in Klarna SDK is not built: run `npm run build` (it compiles src/klarna-simulator/sdk).\n');
      }
    });
  }

  async listen(port: number, host: string): Promise<number> {
    await this.app.listen({ port, host });
    const address = this.app.server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  async close(): Promise<void> {
    this.callbacks.close();
    await this.app.close();
  }

  private async handleKlarnaCall(route: KlarnaRoute, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { correlationId } = request;
    const call: RecordedCall = {
      operation: route.operation,
      method: request.method,
      path: request.url,
      headers: recordedHeaders(request),
      body: undefined,
      status: null,
      response: undefined,
      at: this.clock.nowIso(),
      correlation_id: correlationId,
    };
    let body: unknown;
    try {
      body = parseJson(request.body);
      call.body = body;
    } catch {
      call.body = request.body;
    }

    const fault = this.faults.decide(route.operation, request.url);
    if (fault.latencyMs > 0) {
      call.fault = 'latency';
      await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
    }
    if (fault.hang) {
      call.fault = 'timeout';
      this.record(call);
      reply.hijack();
      return;
    }
    if (fault.errorStatus !== undefined) {
      call.fault = 'error';
      const code = FAULT_ERROR_CODES[fault.errorStatus] ?? 'INTERNAL_SERVER_ERROR';
      const answer = { status: fault.errorStatus, body: errorBody(correlationId, code, ['Simulated fault']) };
      this.finish(call, reply, answer);
      return;
    }

    const answer = this.execute(route, request, body);
    if (fault.afterProcessing === 'answer') {
      this.finish(call, reply, answer);
      return;
    }
    call.fault = fault.afterProcessing === 'hang' ? 'timeout-after' : fault.afterProcessing;
    call.status = answer.status;
    call.response = answer.body;
    this.record(call);
    if (fault.afterProcessing === 'unreadable' && answer.status < 300) {
      // A 2xx whose body no client can read, as a misbehaving proxy in front of Klarna might send.
      void reply.code(200).type('text/html').send('<html><body>502 upstream hiccup</body>');
    } else if (fault.afterProcessing === 'unreadable') {
      this.send(reply, answer);
      return;
    } else {
      reply.hijack();
      if (fault.afterProcessing === 'cut') request.raw.socket.destroy();
    }
    answer.afterResponse?.();
  }

  /** Auth, body, idempotent replay, then the operation itself; every failure becomes a Klarna error answer. */
  private execute(route: KlarnaRoute, request: FastifyRequest, body: unknown): OperationResult {
    const now = this.clock.now();
    const fail = (error: KlarnaError): OperationResult => ({
      status: error.status,
      body: errorBody(request.correlationId, error.errorCode, error.errorMessages),
    });
    if (!this.authorized(request.headers.authorization)) {
      return {
        ...fail(new KlarnaError(401, 'UNAUTHORIZED', ['Invalid or missing credentials'])),
        headers: { 'WWW-Authenticate': 'Basic realm="Klarna simulator"' },
      };
    }
    if (request.body !== undefined && body === undefined && String(request.body).trim() !== '') {
      return fail(new KlarnaError(400, 'BAD_REQUEST', ['Request body is not valid JSON']));
    }
    const params = request.params as Params;
    const key = route.idempotent ? headerValue(request.headers['klarna-idempotency-key']) : undefined;
    const answerKey =
      key === undefined
        ? undefined
        : route.idempotent === 'per-order'
          ? `${route.operation}:${params.orderId}:${key}`
          : `${route.operation}:${key}`;
    const replay = answerKey === undefined ? undefined : this.state.answerFor(answerKey, now);
    if (replay) return replay;

    if (route.schema) {
      const problems = this.validator.problems(route.schema, body ?? {});
      if (problems.length > 0) return fail(new KlarnaError(400, 'BAD_VALUE', problems));
    }
    let answer: OperationResult;
    try {
      answer = route.handle(params, body ?? {});
    } catch (error) {
      if (!(error instanceof KlarnaError)) throw error;
      answer = fail(error);
    }
    if (answerKey !== undefined) {
      // Executed once: a retry with the same key gets this answer, whatever its body (OM-SPEC idempotency header).
      this.state.rememberAnswer(answerKey, { status: answer.status, body: answer.body, headers: answer.headers }, now);
    }
    return answer;
  }

  private finish(call: RecordedCall, reply: FastifyReply, answer: OperationResult): void {
    call.status = answer.status;
    call.response = answer.body;
    this.record(call);
    this.send(reply, answer);
  }

  private send(reply: FastifyReply, answer: OperationResult): void {
    if (answer.afterResponse) reply.raw.once('close', answer.afterResponse);
    if (answer.headers) void reply.headers(answer.headers);
    void reply.code(answer.status);
    if (answer.body === undefined) void reply.send();
    else void reply.send(answer.body);
  }

  private record(call: RecordedCall): void {
    this.calls.add(call);
    if (this.logCalls) {
      console.log(`klarna-simulator ${call.method} ${call.path} -> ${call.status ?? 'no answer'} (${call.operation})`);
    }
  }

  private authorized(header: string | undefined): boolean {
    const match = header ? /^Basic\s+(\S+)\s*$/i.exec(header) : null;
    return match !== null && Buffer.from(match[1], 'base64').toString('utf8') === this.credentials;
  }
}

function klarnaRoutes(payments: PaymentsApi, orderManagement: OrderManagementApi): KlarnaRoute[] {
  return [
    {
      operation: 'createSession',
      method: 'POST',
      url: `${KP}/sessions`,
      schema: 'createSession',
      idempotent: 'per-key',
      handle: (_params, body) => payments.createSession(body as SessionFields),
    },
    {
      operation: 'readSession',
      method: 'GET',
      url: `${KP}/sessions/:sessionId`,
      handle: (params) => payments.readSession(params.sessionId),
    },
    {
      operation: 'updateSession',
      method: 'POST',
      url: `${KP}/sessions/:sessionId`,
      schema: 'updateSession',
      handle: (params, body) => payments.updateSession(params.sessionId, body as SessionFields),
    },
    {
      operation: 'createOrder',
      method: 'POST',
      url: `${KP}/authorizations/:token/order`,
      schema: 'createOrder',
      idempotent: 'per-key',
      handle: (params, body) => payments.createOrder(params.token, body as CreateOrderRequest),
    },
    {
      operation: 'cancelAuthorization',
      method: 'DELETE',
      url: `${KP}/authorizations/:token`,
      handle: (params) => payments.cancelAuthorization(params.token),
    },
    {
      operation: 'createCustomerToken',
      method: 'POST',
      url: `${KP}/authorizations/:token/customer-token`,
      schema: 'createCustomerToken',
      idempotent: 'per-key',
      handle: (params, body) => payments.createCustomerToken(params.token, body as CustomerTokenRequest),
    },
    {
      operation: 'getOrder',
      method: 'GET',
      url: OM,
      handle: (params) => orderManagement.getOrder(params.orderId),
    },
    {
      operation: 'updateAuthorization',
      method: 'PATCH',
      url: `${OM}/authorization`,
      schema: 'updateAuthorization',
      idempotent: 'per-order',
      handle: (params, body) => orderManagement.updateAuthorization(params.orderId, body as UpdateAuthorizationRequest),
    },
    {
      operation: 'cancelOrder',
      method: 'POST',
      url: `${OM}/cancel`,
      idempotent: 'per-order',
      handle: (params) => orderManagement.cancelOrder(params.orderId),
    },
    {
      operation: 'captureOrder',
      method: 'POST',
      url: `${OM}/captures`,
      schema: 'captureOrder',
      idempotent: 'per-order',
      handle: (params, body) => orderManagement.captureOrder(params.orderId, body as CaptureRequest),
    },
    {
      operation: 'getCaptures',
      method: 'GET',
      url: `${OM}/captures`,
      handle: (params) => orderManagement.getCaptures(params.orderId),
    },
    {
      operation: 'getCapture',
      method: 'GET',
      url: `${OM}/captures/:captureId`,
      handle: (params) => orderManagement.getCapture(params.orderId, params.captureId),
    },
    {
      operation: 'appendShippingInfo',
      method: 'POST',
      url: `${OM}/captures/:captureId/shipping-info`,
      schema: 'appendShippingInfo',
      idempotent: 'per-order',
      handle: (params, body) =>
        orderManagement.appendShippingInfo(params.orderId, params.captureId, body as ShippingInfoRequest),
    },
    {
      operation: 'refundOrder',
      method: 'POST',
      url: `${OM}/refunds`,
      schema: 'refundOrder',
      idempotent: 'per-order',
      handle: (params, body) => orderManagement.refundOrder(params.orderId, body as RefundRequest),
    },
    {
      operation: 'getRefund',
      method: 'GET',
      url: `${OM}/refunds/:refundId`,
      handle: (params) => orderManagement.getRefund(params.orderId, params.refundId),
    },
    {
      operation: 'extendAuthorizationTime',
      method: 'POST',
      url: `${OM}/extend-authorization-time`,
      idempotent: 'per-order',
      handle: (params) => orderManagement.extendAuthorizationTime(params.orderId),
    },
    {
      operation: 'releaseRemainingAuthorization',
      method: 'POST',
      url: `${OM}/release-remaining-authorization`,
      idempotent: 'per-order',
      handle: (params) => orderManagement.releaseRemainingAuthorization(params.orderId),
    },
    {
      operation: 'updateCustomerDetails',
      method: 'PATCH',
      url: `${OM}/customer-details`,
      schema: 'updateCustomerDetails',
      idempotent: 'per-order',
      handle: (params, body) => orderManagement.updateCustomerDetails(params.orderId, body as CustomerDetailsRequest),
    },
    {
      operation: 'updateMerchantReferences',
      method: 'PATCH',
      url: `${OM}/merchant-references`,
      schema: 'updateMerchantReferences',
      idempotent: 'per-order',
      handle: (params, body) =>
        orderManagement.updateMerchantReferences(params.orderId, body as MerchantReferencesRequest),
    },
  ];
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Only what a test needs to assert on; credentials never leave the simulator. */
function recordedHeaders(request: FastifyRequest): RecordedCall['headers'] {
  const headers: RecordedCall['headers'] = {};
  const authorization = request.headers.authorization;
  if (authorization) headers.authorization = `${authorization.split(' ')[0]} [redacted]`;
  const key = headerValue(request.headers['klarna-idempotency-key']);
  if (key !== undefined) headers['klarna-idempotency-key'] = key;
  const userAgent = request.headers['user-agent'];
  if (userAgent !== undefined) headers['user-agent'] = userAgent;
  return headers;
}
