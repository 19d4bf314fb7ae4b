/**
 * Control endpoints under /_sim (not Klarna, no auth): the shopper's side (authorize), Klarna's own decisions
 * (fraud, refused increases), fault injection, the clock, and what the simulator saw and sent.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallbackSender, CallbackFaults } from './callbacks.js';
import { fillPlaceholders } from './callbacks.js';
import type { CallLog } from './call-log.js';
import type { SimulatorClock } from './clock.js';
import { FaultInjector, KLARNA_OPERATIONS, type FaultRuleInput } from './faults.js';
import { KlarnaError, errorBody } from './klarna-error.js';
import { capture, refund, type OrderManagementApi } from './order-management-api.js';
import type { PaymentsApi } from './payments-api.js';
import type { OperationResult } from './simulator-context.js';
import type { SimulatorState } from './state.js';

export interface ControlDependencies {
  state: SimulatorState;
  clock: SimulatorClock;
  callbacks: CallbackSender;
  calls: CallLog;
  faults: FaultInjector;
  payments: PaymentsApi;
  orderManagement: OrderManagementApi;
  send(request: FastifyRequest, reply: FastifyReply, result: OperationResult): void;
}

type AuthorizeOutcome = 'approved' | 'denied' | 'fraud_pending';
type FraudEvent = 'FRAUD_RISK_ACCEPTED' | 'FRAUD_RISK_REJECTED' | 'FRAUD_RISK_STOPPED';

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats.default(ajv);
const count = { type: 'integer', minimum: 0 };

interface AuthorizeBody {
  outcome?: AuthorizeOutcome;
  reauthorize?: boolean;
  /** Klarna's authorization callback to the merchant arrives this much later (it may well lag the browser). */
  callbackDelayMs?: number;
}
const validAuthorize = ajv.compile<AuthorizeBody>({
  type: 'object',
  additionalProperties: false,
  properties: {
    outcome: { enum: ['approved', 'denied', 'fraud_pending'] },
    reauthorize: { type: 'boolean' },
    callbackDelayMs: { type: 'integer', minimum: 0, maximum: 600_000 },
  },
});
const validFraudDecision = ajv.compile<{ event_type: FraudEvent }>({
  type: 'object',
  additionalProperties: false,
  required: ['event_type'],
  properties: { event_type: { enum: ['FRAUD_RISK_ACCEPTED', 'FRAUD_RISK_REJECTED', 'FRAUD_RISK_STOPPED'] } },
});
const validRefuseIncreases = ajv.compile<{ refuse: boolean }>({
  type: 'object',
  additionalProperties: false,
  required: ['refuse'],
  properties: { refuse: { type: 'boolean' } },
});
/** What the Merchant Portal or Klarna itself might do to an order without the merchant's service knowing. */
interface OrderChange {
  capture_amount?: number;
  refund_amount?: number;
  status?: 'AUTHORIZED' | 'PART_CAPTURED' | 'CAPTURED' | 'CANCELLED' | 'EXPIRED' | 'CLOSED';
  expires_at?: string;
  merchant_reference2?: string;
}
const validOrderChange = ajv.compile<OrderChange>({
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    capture_amount: { type: 'integer', minimum: 1 },
    refund_amount: { type: 'integer', minimum: 1 },
    status: { enum: ['AUTHORIZED', 'PART_CAPTURED', 'CAPTURED', 'CANCELLED', 'EXPIRED', 'CLOSED'] },
    expires_at: { type: 'string', format: 'date-time' },
    merchant_reference2: { type: 'string', maxLength: 255 },
  },
});
const validFault = ajv.compile<FaultRuleInput>({
  type: 'object',
  additionalProperties: false,
  properties: {
    operation: { enum: [...KLARNA_OPERATIONS] },
    pathContains: { type: 'string', minLength: 1 },
    latencyMs: count,
    errorRate: { type: 'number', minimum: 0, maximum: 1 },
    errorStatus: { enum: [400, 403, 409, 429, 500, 502, 503] },
    timeout: { type: 'boolean' },
    timeoutNext: count,
    failNext: count,
    cutConnectionAfterProcessing: count,
    timeoutAfterProcessing: count,
    unreadableAnswer: count,
  },
});
const validCallbackFaults = ajv.compile<Partial<CallbackFaults>>({
  type: 'object',
  additionalProperties: false,
  properties: { drop: count, duplicate: count, delayMs: count },
});
const validClock = ajv.compile<{ advanceMs: number } | { now: string }>({
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['advanceMs'], properties: { advanceMs: count } },
    {
      type: 'object',
      additionalProperties: false,
      required: ['now'],
      properties: { now: { type: 'string', format: 'date-time' } },
    },
  ],
});

interface IdParams {
  id: string;
}

export function registerControlRoutes(app: FastifyInstance, deps: ControlDependencies): void {
  const { state, clock, callbacks, calls, faults, payments, orderManagement } = deps;

  const route = <Body>(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    handle: (params: IdParams, body: Body, query: Record<string, string | undefined>) => OperationResult,
    validate?: ValidateFunction<Body>,
  ): void => {
    app.route({
      method,
      url: `/_sim${url}`,
      handler: (request, reply) => {
        let result: OperationResult;
        try {
          const body = parseJson(request.body) ?? {};
          if (validate && !validate(body)) throw new KlarnaError(400, 'BAD_VALUE', [ajv.errorsText(validate.errors)]);
          result = handle(
            request.params as IdParams,
            body as Body,
            request.query as Record<string, string | undefined>,
          );
        } catch (error) {
          if (!(error instanceof KlarnaError)) throw error;
          result = {
            status: error.status,
            body: errorBody(request.correlationId, error.errorCode, error.errorMessages),
          };
        }
        deps.send(request, reply, result);
      },
    });
  };

  const authorize = (params: IdParams, body: AuthorizeBody): OperationResult =>
    payments.authorize(params.id, body.outcome ?? 'approved', body.callbackDelayMs ?? 0);
  route('POST', '/sessions/:id/authorize', authorize, validAuthorize);
  route('POST', '/sessions/:id/reauthorize', authorize, validAuthorize);

  route('GET', '/sessions/:id', ({ id }) => {
    const session = state.sessions.get(id);
    if (!session) throw new KlarnaError(404, 'NOT_FOUND', ['Invalid session id']);
    return {
      status: 200,
      body: {
        session_id: session.sessionId,
        status: session.status,
        created_at: new Date(session.createdAt).toISOString(),
        expires_at: new Date(session.expiresAt).toISOString(),
        expired: clock.now() >= session.expiresAt,
        authorization_token: session.authorizationToken,
        order_id: session.orderId,
        data: session.data,
      },
    };
  });

  route('GET', '/orders/:id', ({ id }) => {
    const order = orderManagement.findOrder(id);
    return {
      status: 200,
      body: {
        ...orderManagement.orderView(order),
        session_id: order.session_id,
        refuse_increases: order.refuseIncreases,
      },
    };
  });

  // Docs (pending orders): Klarna decides within 24 h and POSTs the decision to merchant_urls.notification.
  // REJECTED and STOPPED both leave fraud_status REJECTED and cancel the order (unless something was captured).
  route(
    'POST',
    '/orders/:id/fraud-decision',
    ({ id }, body: { event_type: FraudEvent }) => {
      const order = orderManagement.findOrder(id);
      if (body.event_type === 'FRAUD_RISK_ACCEPTED') {
        order.fraud_status = 'ACCEPTED';
      } else {
        order.fraud_status = 'REJECTED';
        if (order.captures.length === 0) order.status = 'CANCELLED';
      }
      const url = order.merchant_urls.notification;
      const notification = { order_id: order.order_id, event_type: body.event_type, occurred_at: clock.nowIso() };
      return {
        status: 200,
        body: orderManagement.orderView(order),
        afterResponse: url
          ? () =>
              callbacks.send(
                'notification',
                fillPlaceholders(url, { orderId: order.order_id, sessionId: order.session_id }),
                notification,
              )
          : undefined,
      };
    },
    validFraudDecision,
  );

  route(
    'POST',
    '/orders/:id/refuse-increases',
    ({ id }, body: { refuse: boolean }) => {
      const order = orderManagement.findOrder(id);
      order.refuseIncreases = body.refuse;
      return { status: 200, body: { order_id: id, refuse_increases: order.refuseIncreases } };
    },
    validRefuseIncreases,
  );

  // Changes an order behind the merchant's back (the Merchant Portal, Klarna's own corrections), without Klarna's
  // rules: captures and refunds are recorded with Klarna ids as if made elsewhere. For reconciliation tests.
  route(
    'POST',
    '/orders/:id/change',
    ({ id }, body: OrderChange) => {
      const order = orderManagement.findOrder(id);
      const now = clock.nowIso();
      if (body.capture_amount !== undefined) capture(order, { captured_amount: body.capture_amount }, now);
      if (body.refund_amount !== undefined) refund(order, { refunded_amount: body.refund_amount }, now);
      if (body.status !== undefined) order.status = body.status;
      if (body.expires_at !== undefined) order.expiresAt = Date.parse(body.expires_at);
      if (body.merchant_reference2 !== undefined) order.merchant_reference2 = body.merchant_reference2;
      return { status: 200, body: orderManagement.orderView(order) };
    },
    validOrderChange,
  );

  route('GET', '/calls', (_params, _body, query) => ({ status: 200, body: { calls: calls.list(query.operation) } }));
  route('DELETE', '/calls', () => {
    calls.clear();
    return { status: 204 };
  });

  route('GET', '/callbacks', () => ({ status: 200, body: { callbacks: callbacks.list() } }));
  route('DELETE', '/callbacks', () => {
    callbacks.clear();
    return { status: 204 };
  });

  route('GET', '/faults', () => ({ status: 200, body: { faults: faults.list() } }));
  route(
    'POST',
    '/faults',
    (_params, body: FaultRuleInput) => ({ status: 201, body: { id: faults.add(body).id } }),
    validFault,
  );
  route('DELETE', '/faults', () => {
    faults.clear();
    return { status: 204 };
  });
  route(
    'POST',
    '/callback-faults',
    (_params, body: Partial<CallbackFaults>) => ({ status: 201, body: callbacks.setFaults(body) }),
    validCallbackFaults,
  );
  route('DELETE', '/callback-faults', () => {
    callbacks.setFaults({ drop: 0, duplicate: 0, delayMs: 0 });
    return { status: 204 };
  });

  route('GET', '/clock', () => ({ status: 200, body: { now: clock.nowIso() } }));
  route(
    'POST',
    '/clock',
    (_params, body: { advanceMs: number } | { now: string }) => {
      if ('advanceMs' in body) clock.advance(body.advanceMs);
      else clock.set(body.now);
      return { status: 200, body: { now: clock.nowIso() } };
    },
    validClock,
  );

  route('POST', '/reset', () => {
    state.clear();
    faults.clear();
    calls.clear();
    callbacks.reset();
    clock.reset();
    return { status: 204 };
  });
}

/** Request bodies arrive as text (one catch-all parser); empty means no body. */
export function parseJson(raw: unknown): unknown {
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new KlarnaError(400, 'BAD_REQUEST', ['Request body is not valid JSON']);
  }
}
