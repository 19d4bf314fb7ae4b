import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { KlarnaApiError } from '../klarna/klarna-api.error.js';
import { KlarnaGateway } from '../klarna/klarna-gateway.js';
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
  KlarnaShippingInfo,
  PlacedKlarnaOrder,
} from '../klarna/klarna.types.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { toMinorUnits } from './currency.js';
import {
  authorizationRequest,
  captureRequest,
  checkStatusRequest,
  GrandTotalMismatchError,
  refundRequest,
  reversalRequest,
  sessionRequest,
  type CaptureRequest,
  type MerchantRedirectUrls,
  type RefundRequest,
} from './cybersource-mapping.js';
import { acceptReply, subStatus } from './cybersource-reply.js';
import { readMerchantP12 } from './merchant-certificate.js';
import type { SimpleOrderReply, SimpleOrderRequest } from './simple-order-xml.js';
import { SimpleOrderTransport } from './simple-order-transport.js';

/**
 * The storefront gets one payment method category through CyberSource: the create-session reply has no list
 * (FACTS §1.3), and Klarna's widget is loaded with the category `klarna`, as CyberSource's SFCC cartridge does.
 */
export const CYBERSOURCE_PAYMENT_METHOD_CATEGORY: KlarnaPaymentMethodCategory = {
  identifier: 'klarna',
  name: 'Klarna',
};

export interface CyberSourceStepResult {
  /** CyberSource's request id of this step: what the next step (reversal, refund, check status) is keyed by. */
  requestId: string;
  /** The processor's sub-status: PENDING, SETTLED, REFUNDED, AUTH_REVERSED... */
  status: string | undefined;
  pending: boolean;
  correlationId: string;
}

/**
 * Klarna through CyberSource's Simple Order API (issue 16). Every step has its own CyberSource request id, which
 * this gateway returns and its callers persist: the create-session reply's requestID is the `sessionId`, the
 * authorization's is the `orderId` (it creates the Klarna order), a capture's is the `captureId`.
 *
 * Not available through CyberSource, refused without a call (405 NOT_SUPPORTED_BY_GATEWAY):
 * - updateOrderAuthorization: CyberSource's equivalent is a follow-on authorization (linkToRequest, FACTS §1.4),
 *   which creates a new authorization with its own request id that later captures must use. The interface
 *   returns no new id and the guides disagree on its flow mode, so it waits for the Order Management work.
 * - createCustomerToken: the Simple Order API has no Klarna customer token service.
 * - addCaptureShippingInfo, extendAuthorizationTime, releaseRemainingAuthorization, updateCustomerDetails,
 *   updateMerchantReferences: the Simple Order API's Klarna services (session, auth, capture, refund, reversal,
 *   check status) have no equivalent.
 * Captures and refunds go through apCaptureService / apRefundService (captureOrder / refundCapture below).
 */
export class CyberSourceGateway extends KlarnaGateway {
  // Check status answers the status and totals of a request id, never the merchantReferenceCode it was sent with.
  override readonly ordersNameMerchantReference = false;
  private readonly logger = new Logger(CyberSourceGateway.name);
  private readonly transport: SimpleOrderTransport;
  private readonly merchantId: string;
  private readonly redirectUrls: MerchantRedirectUrls;

  constructor(config: AppConfig, metrics: MetricsService) {
    super();
    const { merchantId, p12Path, p12Password, endpoint } = config.cybersource;
    if (!merchantId || !p12Path || p12Password === undefined) {
      throw new Error(
        'PAYMENT_GATEWAY=cybersource needs CYBERSOURCE_MERCHANT_ID, CYBERSOURCE_P12_PATH and CYBERSOURCE_P12_PASSWORD',
      );
    }
    const credentials = readMerchantP12(readFileSync(p12Path), p12Password);
    if (credentials.commonName !== undefined && credentials.commonName !== merchantId) {
      // CyberSource issues the certificate for the merchant id; another one would be refused on every call.
      throw new Error(`The CyberSource P12 is issued for ${credentials.commonName}, not for CYBERSOURCE_MERCHANT_ID`);
    }
    this.merchantId = merchantId;
    this.transport = new SimpleOrderTransport(endpoint, credentials, config.klarna.timeoutMs, metrics);
    this.redirectUrls = {
      successUrl: config.publicBaseUrl,
      cancelUrl: config.publicBaseUrl,
      failureUrl: config.publicBaseUrl,
    };
  }

  async createSession(request: KlarnaSessionRequest): Promise<CreatedKlarnaSession> {
    const operation = 'createSession';
    const urls = {
      ...this.redirectUrls,
      successUrl: request.merchantUrls?.confirmation ?? this.redirectUrls.successUrl,
    };
    const { reply } = await this.call(operation, 'apSessionsReply', () =>
      sessionRequest(this.merchantId, request, urls, { create: true }, `session-${randomUUID()}`),
    );
    return {
      sessionId: requireReplyField(operation, reply, 'requestID'),
      clientToken: requireReplyField(operation, reply, 'apSessionsReply_processorToken'),
      paymentMethodCategories: [CYBERSOURCE_PAYMENT_METHOD_CATEGORY],
      correlationId: reply.requestID,
    };
  }

  /** Check status by sessionsRequestID: COMPLETED once the authorization created the Klarna order. */
  async readSession(sessionId: string): Promise<KlarnaSessionView> {
    const { reply } = await this.call(
      'readSession',
      'apCheckStatusReply',
      () => checkStatusRequest(this.merchantId, { sessionsRequestID: sessionId }, sessionId),
      false,
    );
    const status = subStatus(reply, 'apCheckStatusReply');
    return {
      status: status === 'COMPLETED' ? 'complete' : status === 'ABANDONED' ? 'abandoned' : 'incomplete',
      expiresAt: reply.fields.apCheckStatusReply_expirationDateTime,
      orderAmount: amountOf(reply),
      // Check status reports no lines: a read-back after an update of unknown outcome never finds the cart
      // there, so the session is simply updated again (an update replaces the whole cart).
      orderLines: [],
    };
  }

  /** Update session (sessionsType U). Returns the update's request id as the correlation id. */
  async updateSession(sessionId: string, request: KlarnaSessionRequest): Promise<string | undefined> {
    const { reply } = await this.call('updateSession', 'apSessionsReply', () =>
      sessionRequest(
        this.merchantId,
        request,
        this.redirectUrls,
        { create: false, sessionsRequestID: sessionId },
        sessionId,
      ),
    );
    return reply.requestID;
  }

  /**
   * apAuthService with the widget's token: CyberSource authorizes and creates the Klarna order in one step. The
   * order id is the authorization's request id. PENDING (or Decision Manager review, 480) is fraud status
   * PENDING, to be polled with getOrder (check status).
   */
  async placeOrder(authorizationToken: string, request: KlarnaOrderRequest): Promise<PlacedKlarnaOrder> {
    const operation = 'createOrder';
    const { reply, pending } = await this.call(operation, 'apAuthReply', () =>
      authorizationRequest(this.merchantId, authorizationToken, request),
    );
    return {
      orderId: requireReplyField(operation, reply, 'requestID'),
      fraudStatus: pending ? 'PENDING' : 'ACCEPTED',
      correlationId: reply.requestID,
    };
  }

  /**
   * A widget token that never reached CyberSource is known only to Klarna, and the Simple Order API has no service
   * that releases it: Klarna lets it lapse (60 min). Given an authorization's request id (the `orderId` of
   * placeOrder, all digits), the authorization is reversed.
   */
  async cancelAuthorization(authorizationTokenOrAuthRequestId: string): Promise<void> {
    if (!/^\d{15,40}$/.test(authorizationTokenOrAuthRequestId)) {
      this.logger.debug({ event: 'cybersource.token_release_skipped' });
      return;
    }
    await this.reverseAuthorization(authorizationTokenOrAuthRequestId);
  }

  async createCustomerToken(_token: string, _request: KlarnaCustomerTokenRequest): Promise<KlarnaCustomerToken> {
    throw notSupported('createCustomerToken', 'the Simple Order API has no Klarna customer token service');
  }

  /** Check status of the authorization (its request id is our Klarna order id). */
  async getOrder(orderId: string): Promise<KlarnaManagedOrder> {
    const { reply } = await this.call(
      'getOrder',
      'apCheckStatusReply',
      () => checkStatusRequest(this.merchantId, { checkStatusRequestID: orderId }, orderId),
      false,
    );
    const status = subStatus(reply, 'apCheckStatusReply') ?? 'UNKNOWN';
    const orderAmount = amountOf(reply) ?? 0;
    const managed = ORDER_STATES[status] ?? { status, fraudStatus: 'PENDING' };
    return {
      orderId,
      ...managed,
      orderAmount,
      // Check status reports no captured amount; a settled authorization counts as fully captured.
      capturedAmount: managed.status === 'CAPTURED' ? orderAmount : 0,
      purchaseCurrency: reply.fields.purchaseTotals_currency ?? '',
      // CyberSource's check status carries neither the lines nor our merchant reference.
      orderLines: [],
    };
  }

  async updateOrderAuthorization(
    _orderId: string,
    _update: KlarnaAuthorizationUpdate,
    _idempotencyKey: string,
  ): Promise<string | undefined> {
    throw notSupported(
      'updateAuthorization',
      'changing an authorized amount needs a follow-on authorization with a new request id (not supported yet)',
    );
  }

  /**
   * Reversal of the authorization (apAuthReversalService). The Simple Order API has no idempotency key: a repeat
   * after a lost answer is refused as already reversed (reason 243), which callers should read with getOrder.
   */
  async cancelOrder(orderId: string, _idempotencyKey: string): Promise<string | undefined> {
    return (await this.reverseAuthorization(orderId)).requestId;
  }

  /**
   * Order Management's capture through apCaptureService. The Simple Order API has no idempotency key: our key is
   * sent as the merchant reference code when no reference is given, so a repeat can be found in the Business Center.
   */
  async createCapture(
    orderId: string,
    capture: KlarnaCaptureRequest,
    idempotencyKey: string,
  ): Promise<KlarnaCreatedItem> {
    const step = await this.captureOrder(orderId, {
      amount: capture.capturedAmount,
      currency: capture.currency,
      reference: capture.reference ?? idempotencyKey,
      orderLines: capture.orderLines,
    });
    return { id: step.requestId, correlationId: step.correlationId };
  }

  /** Refunds are keyed by a capture's request id (the `captureId` of createCapture). */
  async createRefund(
    _orderId: string,
    refund: KlarnaRefundRequest,
    idempotencyKey: string,
  ): Promise<KlarnaCreatedItem> {
    if (!refund.captureId) throw notSupported('refundOrder', 'a refund needs the capture it is for');
    const step = await this.refundCapture(refund.captureId, {
      amount: refund.refundedAmount,
      currency: refund.currency,
      reference: refund.reference ?? idempotencyKey,
      reason: refund.description,
    });
    return { id: step.requestId, correlationId: step.correlationId };
  }

  async addCaptureShippingInfo(
    _orderId: string,
    _captureId: string,
    _shippingInfo: KlarnaShippingInfo[],
    _idempotencyKey: string,
  ): Promise<string | undefined> {
    throw notSupported('appendShippingInfo', 'the Simple Order API has no shipping info service for Klarna');
  }

  async extendAuthorizationTime(_orderId: string, _idempotencyKey: string): Promise<string | undefined> {
    throw notSupported('extendAuthorizationTime', 'the Simple Order API cannot extend a Klarna authorization');
  }

  async releaseRemainingAuthorization(_orderId: string, _idempotencyKey: string): Promise<string | undefined> {
    throw notSupported('releaseRemainingAuthorization', 'the Simple Order API cannot release part of an authorization');
  }

  async updateCustomerDetails(
    _orderId: string,
    _update: KlarnaCustomerDetailsUpdate,
    _idempotencyKey: string,
  ): Promise<string | undefined> {
    throw notSupported('updateCustomerDetails', 'the Simple Order API cannot change a Klarna order address');
  }

  async updateMerchantReferences(
    _orderId: string,
    _update: KlarnaMerchantReferencesUpdate,
    _idempotencyKey: string,
  ): Promise<string | undefined> {
    throw notSupported('updateMerchantReferences', 'the Simple Order API cannot change merchant references');
  }

  async reverseAuthorization(authRequestId: string): Promise<CyberSourceStepResult> {
    return this.step('reverseAuthorization', 'apAuthReversalReply', () =>
      reversalRequest(this.merchantId, authRequestId, authRequestId),
    );
  }

  /** apCaptureService keyed by the authorization; partial and multiple captures within 28 days. Reply PENDING, then SETTLED. */
  async captureOrder(orderId: string, capture: CaptureRequest): Promise<CyberSourceStepResult> {
    return this.step('captureOrder', 'apCaptureReply', () => captureRequest(this.merchantId, orderId, capture));
  }

  /** apRefundService keyed by the capture; partial and multiple refunds. Reply PENDING, then REFUNDED. */
  async refundCapture(captureId: string, refund: RefundRequest): Promise<CyberSourceStepResult> {
    return this.step('refundCapture', 'apRefundReply', () => refundRequest(this.merchantId, captureId, refund));
  }

  /** Check status of any step by its request id (the poller for PENDING authorizations, captures, refunds). */
  async checkStatus(requestId: string): Promise<CyberSourceStepResult> {
    const { reply, pending } = await this.call(
      'checkStatus',
      'apCheckStatusReply',
      () => checkStatusRequest(this.merchantId, { checkStatusRequestID: requestId }, requestId),
      false,
    );
    return { requestId, status: subStatus(reply, 'apCheckStatusReply'), pending, correlationId: reply.requestID };
  }

  private async step(
    operation: string,
    section: string,
    build: () => SimpleOrderRequest,
  ): Promise<CyberSourceStepResult> {
    const { reply, pending } = await this.call(operation, section, build);
    return {
      requestId: requireReplyField(operation, reply, 'requestID'),
      status: subStatus(reply, section),
      pending,
      correlationId: reply.requestID,
    };
  }

  /** Builds (a grand-total mismatch is refused here, before anything is sent), sends, and reads the reason code. */
  private async call(operation: string, section: string, build: () => SimpleOrderRequest, failedIsRefusal = true) {
    let request: SimpleOrderRequest;
    try {
      request = build();
    } catch (error) {
      throw asBadValue(operation, error);
    }
    const reply = await this.transport.run(operation, request);
    try {
      return acceptReply(operation, reply, section, failedIsRefusal);
    } catch (error) {
      if (error instanceof KlarnaApiError) {
        this.logger.debug({ event: 'cybersource.refused', reasonCode: reply.reasonCode, ...error.toLog() });
      }
      throw error;
    }
  }
}

const ORDER_STATES: Record<string, { status: string; fraudStatus: string }> = {
  AUTHORIZED: { status: 'AUTHORIZED', fraudStatus: 'ACCEPTED' },
  PENDING: { status: 'AUTHORIZED', fraudStatus: 'PENDING' },
  FAILED: { status: 'CANCELLED', fraudStatus: 'REJECTED' },
  AUTH_REVERSED: { status: 'CANCELLED', fraudStatus: 'ACCEPTED' },
  SETTLED: { status: 'CAPTURED', fraudStatus: 'ACCEPTED' },
  CAPTURED: { status: 'CAPTURED', fraudStatus: 'ACCEPTED' },
};

function amountOf(reply: SimpleOrderReply): number | undefined {
  const { purchaseTotals_grandTotalAmount: amount, purchaseTotals_currency: currency } = reply.fields;
  return amount !== undefined && currency !== undefined ? toMinorUnits(amount, currency) : undefined;
}

function requireReplyField(operation: string, reply: SimpleOrderReply, field: string): string {
  const value = field === 'requestID' ? reply.requestID : reply.fields[field];
  if (!value) {
    throw new KlarnaApiError(
      operation,
      200,
      'INVALID_RESPONSE',
      [`CyberSource's reply lacks ${field}`],
      reply.requestID || undefined,
      'http',
    );
  }
  return value;
}

function notSupported(operation: string, reason: string): KlarnaApiError {
  return new KlarnaApiError(operation, 405, 'NOT_SUPPORTED_BY_GATEWAY', [`CyberSource: ${reason}`], undefined, 'http');
}

function asBadValue(operation: string, error: unknown): unknown {
  if (error instanceof GrandTotalMismatchError) {
    return new KlarnaApiError(
      operation,
      400,
      'BAD_VALUE',
      [`Bad value: purchaseTotals_grandTotalAmount (${error.message})`],
      undefined,
      'http',
    );
  }
  return error;
}
