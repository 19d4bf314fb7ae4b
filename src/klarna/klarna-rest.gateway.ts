import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { withDeadline } from '../common/deadline.js';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { KlarnaApiError } from './klarna-api.error.js';
import { KlarnaGateway } from './klarna-gateway.js';
import {
  addressToWire,
  customerToWire,
  managedOrderFromWire,
  merchantUrlsToWire,
  orderDataToWire,
  orderLineToWire,
  requireField,
  sessionFromWire,
  shippingInfoToWire,
} from './klarna-wire.js';
import type {
  CreatedKlarnaSession,
  KlarnaAuthorizationUpdate,
  KlarnaCaptureRequest,
  KlarnaCreatedItem,
  KlarnaCustomerDetailsUpdate,
  KlarnaCustomerToken,
  KlarnaCustomerTokenRequest,
  KlarnaManagedOrder,
  KlarnaMerchantReferencesUpdate,
  KlarnaOrderRequest,
  KlarnaPaymentMethodCategory,
  KlarnaRefundRequest,
  KlarnaSessionRequest,
  KlarnaSessionView,
  PlacedKlarnaOrder,
  KlarnaShippingInfo,
} from './klarna.types.js';

const SERVICE_VERSION = '0.1.0';

/** An answer from Klarna: its status, headers (lower-case names) and body (parsed JSON, else the raw text). */
interface KlarnaHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  data: unknown;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * Klarna's REST API (Payments v1, Order Management v1) over undici (Node's own HTTP client, the one under `fetch`):
 * keep-alive connections, HTTP Basic, a timeout per call, no redirects followed, and HTTP(S)_PROXY / NO_PROXY
 * honoured. undici rather than axios: on a cart change the HTTP client was the largest piece of the service's own
 * CPU (issue 14, bench/README.md).
 */
@Injectable()
export class KlarnaRestGateway extends KlarnaGateway implements OnApplicationShutdown {
  private readonly logger = new Logger(KlarnaRestGateway.name);
  private readonly dispatcher: Dispatcher;
  private readonly origin: string;
  private readonly pathPrefix: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(
    config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    super();
    const base = new URL(config.klarna.apiUrl);
    this.origin = base.origin;
    this.pathPrefix = base.pathname.replace(/\/+$/, '');
    this.timeoutMs = config.klarna.timeoutMs;
    const credentials = `${config.klarna.username ?? ''}:${config.klarna.password ?? ''}`;
    this.headers = {
      authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
      'user-agent': `klarna-checkout-bff/${SERVICE_VERSION} (node ${process.version})`,
      accept: 'application/json',
    };
    this.dispatcher = new EnvHttpProxyAgent({ connections: 64 });
  }

  /** Last, after the requests and jobs that may still call Klarna have ended (see LifecycleService). */
  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.close();
  }

  async createSession(request: KlarnaSessionRequest, idempotencyKey: string): Promise<CreatedKlarnaSession> {
    const operation = 'createSession';
    const response = await this.call(
      operation,
      'POST',
      '/payments/v1/sessions',
      sessionToWire(request),
      idempotencyKey,
    );
    const categories = (response.data as { payment_method_categories?: Record<string, unknown>[] })
      .payment_method_categories;
    return {
      sessionId: requireField(operation, response.data, 'session_id', 'string'),
      clientToken: requireField(operation, response.data, 'client_token', 'string'),
      paymentMethodCategories: (categories ?? []).map((category): KlarnaPaymentMethodCategory => ({
        identifier: String(category.identifier),
        name: category.name === undefined ? undefined : String(category.name),
        assetUrls: category.asset_urls as KlarnaPaymentMethodCategory['assetUrls'],
      })),
      correlationId: correlationIdOf(response),
    };
  }

  async readSession(sessionId: string): Promise<KlarnaSessionView> {
    const response = await this.call('readSession', 'GET', `/payments/v1/sessions/${encodeURIComponent(sessionId)}`);
    return sessionFromWire('readSession', response.data);
  }

  async updateSession(sessionId: string, request: KlarnaSessionRequest): Promise<string | undefined> {
    const response = await this.call(
      'updateSession',
      'POST',
      `/payments/v1/sessions/${encodeURIComponent(sessionId)}`,
      sessionToWire(request),
    );
    return correlationIdOf(response);
  }

  async placeOrder(
    authorizationToken: string,
    request: KlarnaOrderRequest,
    idempotencyKey: string,
  ): Promise<PlacedKlarnaOrder> {
    const operation = 'createOrder';
    const response = await this.call(
      operation,
      'POST',
      `/payments/v1/authorizations/${encodeURIComponent(authorizationToken)}/order`,
      {
        ...orderDataToWire(request),
        merchant_reference1: request.merchantReference1,
        merchant_reference2: request.merchantReference2,
        merchant_urls: merchantUrlsToWire(request.merchantUrls),
        auto_capture: request.autoCapture,
      },
      idempotencyKey,
    );
    return {
      orderId: requireField(operation, response.data, 'order_id', 'string'),
      fraudStatus: requireField(operation, response.data, 'fraud_status', 'string'),
      redirectUrl: (response.data as { redirect_url?: string }).redirect_url,
      correlationId: correlationIdOf(response),
    };
  }

  async cancelAuthorization(authorizationToken: string): Promise<void> {
    await this.call(
      'cancelAuthorization',
      'DELETE',
      `/payments/v1/authorizations/${encodeURIComponent(authorizationToken)}`,
    );
  }

  async createCustomerToken(
    authorizationToken: string,
    request: KlarnaCustomerTokenRequest,
    idempotencyKey: string,
  ): Promise<KlarnaCustomerToken> {
    const operation = 'createCustomerToken';
    const response = await this.call(
      operation,
      'POST',
      `/payments/v1/authorizations/${encodeURIComponent(authorizationToken)}/customer-token`,
      {
        purchase_country: request.purchaseCountry,
        purchase_currency: request.purchaseCurrency,
        locale: request.locale,
        description: request.description,
        intended_use: request.intendedUse,
        billing_address: addressToWire(request.billingAddress),
        customer: customerToWire(request.customer),
      },
      idempotencyKey,
    );
    const body = response.data as { redirect_url?: string };
    return {
      tokenId: requireField(operation, response.data, 'token_id', 'string'),
      redirectUrl: body.redirect_url,
      correlationId: correlationIdOf(response),
    };
  }

  async getOrder(orderId: string): Promise<KlarnaManagedOrder> {
    const response = await this.call('getOrder', 'GET', `/ordermanagement/v1/orders/${encodeURIComponent(orderId)}`);
    return managedOrderFromWire('getOrder', response.data);
  }

  async updateOrderAuthorization(
    orderId: string,
    update: KlarnaAuthorizationUpdate,
    idempotencyKey: string,
  ): Promise<string | undefined> {
    const response = await this.call(
      'updateAuthorization',
      'PATCH',
      `/ordermanagement/v1/orders/${encodeURIComponent(orderId)}/authorization`,
      {
        order_amount: update.orderAmount,
        description: update.description,
        order_lines: update.orderLines?.map(orderLineToWire),
      },
      idempotencyKey,
    );
    return correlationIdOf(response);
  }

  async cancelOrder(orderId: string, idempotencyKey: string): Promise<string | undefined> {
    const response = await this.call(
      'cancelOrder',
      'POST',
      `/ordermanagement/v1/orders/${encodeURIComponent(orderId)}/cancel`,
      undefined,
      idempotencyKey,
    );
    return correlationIdOf(response);
  }

  async createCapture(
    orderId: string,
    capture: KlarnaCaptureRequest,
    idempotencyKey: string,
  ): Promise<KlarnaCreatedItem> {
    const response = await this.call(
      'captureOrder',
      'POST',
      `${omPath(orderId)}/captures`,
      {
        captured_amount: capture.capturedAmount,
        description: capture.description,
        reference: capture.reference,
        order_lines: capture.orderLines?.map(orderLineToWire),
        shipping_info: capture.shippingInfo?.map(shippingInfoToWire),
      },
      idempotencyKey,
    );
    return { id: requireHeader('captureOrder', response, 'capture-id'), correlationId: correlationIdOf(response) };
  }

  async addCaptureShippingInfo(
    orderId: string,
    captureId: string,
    shippingInfo: KlarnaShippingInfo[],
    idempotencyKey: string,
  ): Promise<string | undefined> {
    const response = await this.call(
      'appendShippingInfo',
      'POST',
      `${omPath(orderId)}/captures/${encodeURIComponent(captureId)}/shipping-info`,
      { shipping_info: shippingInfo.map(shippingInfoToWire) },
      idempotencyKey,
    );
    return correlationIdOf(response);
  }

  async createRefund(orderId: string, refund: KlarnaRefundRequest, idempotencyKey: string): Promise<KlarnaCreatedItem> {
    const response = await this.call(
      'refundOrder',
      'POST',
      `${omPath(orderId)}/refunds`,
      {
        refunded_amount: refund.refundedAmount,
        description: refund.description,
        reference: refund.reference,
        order_lines: refund.orderLines?.map(orderLineToWire),
      },
      idempotencyKey,
    );
    return { id: requireHeader('refundOrder', response, 'refund-id'), correlationId: correlationIdOf(response) };
  }

  async extendAuthorizationTime(orderId: string, idempotencyKey: string): Promise<string | undefined> {
    const path = `${omPath(orderId)}/extend-authorization-time`;
    return correlationIdOf(await this.call('extendAuthorizationTime', 'POST', path, undefined, idempotencyKey));
  }

  async releaseRemainingAuthorization(orderId: string, idempotencyKey: string): Promise<string | undefined> {
    const path = `${omPath(orderId)}/release-remaining-authorization`;
    return correlationIdOf(await this.call('releaseRemainingAuthorization', 'POST', path, undefined, idempotencyKey));
  }

  async updateCustomerDetails(
    orderId: string,
    update: KlarnaCustomerDetailsUpdate,
    idempotencyKey: string,
  ): Promise<string | undefined> {
    const body = {
      shipping_address: addressToWire(update.shippingAddress),
      billing_address: addressToWire(update.billingAddress),
    };
    const path = `${omPath(orderId)}/customer-details`;
    return correlationIdOf(await this.call('updateCustomerDetails', 'PATCH', path, body, idempotencyKey));
  }

  async updateMerchantReferences(
    orderId: string,
    update: KlarnaMerchantReferencesUpdate,
    idempotencyKey: string,
  ): Promise<string | undefined> {
    const body = { merchant_reference1: update.merchantReference1, merchant_reference2: update.merchantReference2 };
    const path = `${omPath(orderId)}/merchant-references`;
    return correlationIdOf(await this.call('updateMerchantReferences', 'PATCH', path, body, idempotencyKey));
  }

  /** One Klarna call: timed by operation and outcome; any non-2xx becomes a KlarnaApiError. */
  private async call(
    operation: string,
    method: Method,
    path: string,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<KlarnaHttpResponse> {
    const started = performance.now();
    let outcome = 'ok';
    try {
      const response = await this.send(method, path, body, idempotencyKey);
      if (response.status >= 200 && response.status < 300) return response;
      outcome = response.status >= 500 ? 'server_error' : 'client_error';
      const error = response.data as { error_code?: string; error_messages?: string[]; correlation_id?: string };
      throw new KlarnaApiError(
        operation,
        response.status,
        error?.error_code ?? `HTTP_${response.status}`,
        Array.isArray(error?.error_messages) ? error.error_messages : [],
        error?.correlation_id ?? correlationIdOf(response),
        'http',
      );
    } catch (error) {
      if (error instanceof KlarnaApiError) throw error;
      const timedOut = isTimeout(error);
      outcome = timedOut ? 'timeout' : 'network_error';
      // The raw reason can name hosts and addresses: it stays in a debug log and never reaches an answer.
      this.logger.debug({ event: 'klarna.call_failed', operation, reason: (error as Error)?.message });
      throw new KlarnaApiError(
        operation,
        undefined,
        timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
        [timedOut ? 'Klarna did not answer in time' : 'The connection to Klarna failed'],
        undefined,
        timedOut ? 'timeout' : 'network',
      );
    } finally {
      this.metrics.observeKlarnaCall(operation, outcome, (performance.now() - started) / 1000);
    }
  }

  /** Any status is an answer to map (call() does), not an exception; a body that is not JSON stays text. */
  private async send(
    method: Method,
    path: string,
    body: unknown,
    idempotencyKey: string | undefined,
  ): Promise<KlarnaHttpResponse> {
    const headers: Record<string, string> = { ...this.headers };
    if (idempotencyKey) headers['klarna-idempotency-key'] = idempotencyKey;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return withDeadline(this.timeoutMs, async (signal) => {
      const response = await this.dispatcher.request({
        origin: this.origin,
        path: this.pathPrefix + path,
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
      const text = await response.body.text();
      return { status: response.statusCode, headers: response.headers, data: parseBody(text) };
    });
  }
}

function parseBody(text: string): unknown {
  if (text === '') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The call's own time limit (withDeadline), or undici's for headers or body. */
function isTimeout(error: unknown): boolean {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  return name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

function sessionToWire(request: KlarnaSessionRequest): Record<string, unknown> {
  const wire: Record<string, unknown> = { ...orderDataToWire(request) };
  if (request.merchantUrls) wire.merchant_urls = merchantUrlsToWire(request.merchantUrls);
  if (request.merchantReference1) wire.merchant_reference1 = request.merchantReference1;
  if (request.intent) wire.intent = request.intent;
  return wire;
}

function omPath(orderId: string): string {
  return `/ordermanagement/v1/orders/${encodeURIComponent(orderId)}`;
}

/**
 * Klarna names what it created only in a header (Capture-Id, Refund-Id). A 201 without it is an answer we cannot
 * read: Klarna did it, so the call is repeated with the same idempotency key, which replays the same answer.
 */
function requireHeader(operation: string, response: KlarnaHttpResponse, header: string): string {
  const value = response.headers[header] as unknown;
  if (typeof value === 'string' && value.length > 0) return value;
  throw new KlarnaApiError(
    operation,
    response.status,
    'INVALID_RESPONSE',
    [`Klarna's answer lacks the ${header} header`],
    correlationIdOf(response),
    'unreadable',
  );
}

function correlationIdOf(response: KlarnaHttpResponse): string | undefined {
  const header = response.headers['klarna-correlation-id'] ?? response.headers['correlation-id'];
  return typeof header === 'string' ? header : undefined;
}
