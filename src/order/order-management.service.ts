import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { checkLine, computeOrder, type CartLine } from '../cart/order-lines.js';
import {
  ConflictError,
  DomainError,
  KlarnaUnavailableError,
  NotFoundError,
  UnprocessableError,
  ValidationFailedError,
} from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { PrismaService, type PrismaTransaction } from '../database/prisma.service.js';
import type { OrderCapture, OrderOperation, OrderRefund, Prisma } from '../generated/prisma/client.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { KlarnaApiError } from '../klarna/klarna-api.error.js';
import { KlarnaGateway } from '../klarna/klarna-gateway.js';
import { withKlarnaRetries } from '../klarna/klarna-retry.js';
import type { KlarnaAddress, KlarnaOrderLine, KlarnaShippingInfo } from '../klarna/klarna.types.js';
import { MetricsService } from '../metrics/metrics.service.js';
import {
  captureBlocker,
  extendBlocker,
  refundBlocker,
  releaseBlocker,
  type ManagedOrderState,
} from './order-management-rules.js';
import { amendmentBlocker, isUnresolved } from './order-state.js';
import { OrderRepository } from './order.repository.js';
import { OrderService, orderView } from './order.service.js';
import type { CaptureView, OperationView, OrderRecord, OrderView, RefundView } from './order.types.js';

/** Retries an Order Management operation whose outcome is unknown, with the same Klarna-Idempotency-Key. */
export const OPERATION_RETRY_JOB = 'order.operation-retry';
/** Klarna honours an idempotency key for 24 h; past this a retry could execute twice, so the job stops here. */
const KEY_WINDOW_MS = 23 * 60 * 60 * 1000;
const IN_REQUEST_RETRIES = { attempts: 2, backoffMs: 200 };

export type OrderLineInput = Omit<CartLine, 'type' | 'totalDiscountAmount'> & {
  type?: string;
  totalDiscountAmount?: number;
};

export interface AmendOrder {
  orderAmount: number;
  orderLines?: OrderLineInput[];
  description?: string;
}

export interface CaptureInput {
  amount: number;
  orderLines?: OrderLineInput[];
  description?: string;
  reference?: string;
  shippingInfo?: KlarnaShippingInfo[];
}

export interface RefundInput {
  amount: number;
  orderLines?: OrderLineInput[];
  description?: string;
  reference?: string;
}

/** What each kind of operation stores as its request (deterministic from the caller's body and the order). */
interface CaptureRequestStored {
  capturedAmount: number;
  orderLines?: KlarnaOrderLine[];
  description?: string;
  reference?: string;
  shippingInfo?: KlarnaShippingInfo[];
}
interface RefundRequestStored {
  refundedAmount: number;
  orderLines?: KlarnaOrderLine[];
  description?: string;
  reference?: string;
}

/** Klarna's answer to one operation: its correlation id, and what it created or reported. */
interface Answer {
  correlationId?: string;
  /** Capture-Id / Refund-Id. */
  klarnaId?: string;
  /** After an extension: the expiry Order Management now shows (read once; absent if that read failed). */
  expiresAt?: string;
}

/**
 * One kind of Order Management operation: how it is sent to Klarna (with the operation's id as
 * Klarna-Idempotency-Key) and how Klarna's answer is recorded. The request and the retry job share it.
 */
interface OperationKind {
  /** The log event once Klarna did it (past tense). */
  event: string;
  /**
   * The stored request once the operation is settled, for requests carrying personal data: retries need it until
   * Klarna answered, nobody afterwards (the fingerprint still recognises a repeat).
   */
  redact?: (request: Record<string, unknown>) => Record<string, unknown>;
  send(order: OrderRecord, request: Record<string, unknown>, key: string): Promise<Answer>;
  /** Runs once per operation, in the transaction that marks it succeeded; returns what the operation keeps. */
  record(
    tx: PrismaTransaction,
    order: OrderRecord,
    operation: OrderOperation,
    answer: Answer,
  ): Promise<Prisma.InputJsonValue>;
  /** After Klarna refused: whether Order Management shows the change done already (under an earlier key). */
  doneDespiteRefusal?(order: OrderRecord): Promise<boolean>;
}

type Kind =
  | 'update_authorization'
  | 'cancel'
  | 'capture'
  | 'shipping_info'
  | 'refund'
  | 'extend_authorization'
  | 'release_remaining_authorization'
  | 'update_shipping_address'
  | 'update_merchant_references';

/**
 * Operations on placed orders through Klarna Order Management, all one pattern: each is stored (`order_operation`)
 * before Klarna is called and its id is the Klarna-Idempotency-Key; a lost answer is retried with that key, in the
 * request and then by a background job, so Klarna executes it once; the caller's `Idempotency-Key` finds the same
 * operation again (with another body: 422 IDEMPOTENCY_KEY_REUSED), while two separate requests for the same amount
 * stay two operations. Klarna's own answer decides the outcome (Klarna advises against polling to confirm).
 */
@Injectable()
export class OrderManagementService {
  private readonly logger = new Logger(OrderManagementService.name);
  private readonly kinds: Record<Kind, OperationKind>;

  constructor(
    private readonly prisma: PrismaService,
    private readonly orders: OrderRepository,
    private readonly orderService: OrderService,
    private readonly klarna: KlarnaGateway,
    private readonly jobs: JobQueueService,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {
    this.kinds = this.operationKinds();
  }

  async amend(orderId: string, change: AmendOrder, requestKey: string): Promise<OrderView> {
    const order = await this.placedOrder(orderId);
    if (change.orderLines) this.klarnaLines(change.orderLines, order, 'orderAmount', change.orderAmount);
    await this.run(order, 'update_authorization', requestKey, change, async () => {
      const klarnaOrder = await this.read(order);
      return amendmentBlocker(
        { status: order.status, klarnaStatus: klarnaOrder.status, capturedAmount: klarnaOrder.capturedAmount },
        change.orderAmount,
      );
    });
    return this.orderService.getOrder(orderId);
  }

  /** Cancels at Klarna; a repeat for a cancelled order answers 200 with it. */
  async cancel(orderId: string, requestKey: string): Promise<OrderView> {
    const order = await this.placedOrder(orderId, true);
    if (order.status === 'cancelled') return orderView(order);
    await this.run(order, 'cancel', requestKey, {}, async () => undefined);
    return this.orderService.getOrder(orderId);
  }

  /** POST /orders/:id/captures: partial and repeated captures up to the remaining authorized amount. */
  async capture(orderId: string, input: CaptureInput, requestKey: string): Promise<CaptureView> {
    const order = await this.existingOrder(orderId);
    const request: CaptureRequestStored = {
      capturedAmount: input.amount,
      orderLines: input.orderLines && this.klarnaLines(input.orderLines, order, 'amount', input.amount),
      description: input.description,
      reference: input.reference,
      shippingInfo: input.shippingInfo,
    };
    const operation = await this.run(order, 'capture', requestKey, request, async () => {
      const blocker = captureBlocker(state(order), input.amount, new Date());
      return blocker && new ConflictError('ORDER_NOT_CAPTURABLE', `Cannot capture: ${blocker}`);
    });
    const capture = await this.orders.findCaptureOfOperation(this.prisma, operation.id);
    if (!capture) throw new Error(`Capture of operation ${operation.id} was not recorded`);
    return captureView(capture);
  }

  /** POST /orders/:id/captures/:captureId/shipping-info: tracking added after the capture. */
  async addShippingInfo(
    orderId: string,
    captureId: string,
    shippingInfo: KlarnaShippingInfo[],
    requestKey: string,
  ): Promise<CaptureView> {
    const order = await this.existingOrder(orderId);
    const capture = await this.orders.findCapture(this.prisma, order.id, captureId);
    if (!capture) throw new NotFoundError('CAPTURE_NOT_FOUND', `Order ${orderId} has no capture ${captureId}`);
    await this.run(order, 'shipping_info', requestKey, { captureId, shippingInfo }, async () => undefined);
    return captureView((await this.orders.findCapture(this.prisma, order.id, captureId))!);
  }

  /** POST /orders/:id/refunds: never more than captured minus refunded. */
  async refund(orderId: string, input: RefundInput, requestKey: string): Promise<RefundView> {
    const order = await this.existingOrder(orderId);
    const request: RefundRequestStored = {
      refundedAmount: input.amount,
      orderLines: input.orderLines && this.klarnaLines(input.orderLines, order, 'amount', input.amount),
      description: input.description,
      reference: input.reference,
    };
    const operation = await this.run(order, 'refund', requestKey, request, async () => {
      const blocker = refundBlocker(state(order), input.amount);
      return blocker && new ConflictError('ORDER_NOT_REFUNDABLE', `Cannot refund: ${blocker}`);
    });
    const refund = await this.orders.findRefundOfOperation(this.prisma, operation.id);
    if (!refund) throw new Error(`Refund of operation ${operation.id} was not recorded`);
    return refundView(refund);
  }

  async extendAuthorization(orderId: string, requestKey: string): Promise<OrderView> {
    const order = await this.existingOrder(orderId);
    await this.run(order, 'extend_authorization', requestKey, {}, async () => {
      const blocker = extendBlocker(state(order), new Date());
      return blocker && new ConflictError('ORDER_NOT_MODIFIABLE', `Cannot extend the authorization: ${blocker}`);
    });
    return this.orderService.getOrder(orderId);
  }

  async releaseRemainingAuthorization(orderId: string, requestKey: string): Promise<OrderView> {
    const order = await this.existingOrder(orderId);
    await this.run(order, 'release_remaining_authorization', requestKey, {}, async () => {
      const blocker = releaseBlocker(state(order), new Date());
      return (
        blocker && new ConflictError('ORDER_NOT_MODIFIABLE', `Cannot release the remaining authorization: ${blocker}`)
      );
    });
    return this.orderService.getOrder(orderId);
  }

  /** PATCH /orders/:id/shipping-address (Klarna's customer-details). The address is not kept here: Klarna has it. */
  async updateShippingAddress(orderId: string, shippingAddress: KlarnaAddress, requestKey: string): Promise<OrderView> {
    const order = await this.placedOrder(orderId);
    await this.run(order, 'update_shipping_address', requestKey, { shippingAddress }, async () => undefined);
    return this.orderService.getOrder(orderId);
  }

  /**
   * PATCH /orders/:id/merchant-references: only reference 2. Reference 1 stays our order id, which is how pushes and
   * the reconciliation find our order for a Klarna one.
   */
  async updateMerchantReferences(
    orderId: string,
    references: { merchantReference1?: string; merchantReference2?: string },
    requestKey: string,
  ): Promise<OrderView> {
    if (references.merchantReference1 !== undefined && references.merchantReference1 !== orderId) {
      throw new ValidationFailedError([
        {
          field: 'merchantReference1',
          message: 'is our order id and cannot be changed (Klarna pushes are matched on it)',
        },
      ]);
    }
    if (references.merchantReference2 === undefined) {
      throw new ValidationFailedError([{ field: 'merchantReference2', message: 'is required' }]);
    }
    const order = await this.placedOrder(orderId);
    const request = { merchantReference2: references.merchantReference2 };
    await this.run(order, 'update_merchant_references', requestKey, request, async () => undefined);
    return this.orderService.getOrder(orderId);
  }

  /** GET /orders (ops): newest first; `nextCursor` is null on the last page. */
  async listOrders(query: {
    status?: OrderRecord['status'];
    klarnaStatus?: OrderRecord['klarnaStatus'];
    createdFrom?: string;
    createdTo?: string;
    cursor?: string;
    limit?: number;
  }): Promise<{ orders: OrderView[]; nextCursor: string | null }> {
    const limit = query.limit ?? 20;
    const rows = await this.orders.list(this.prisma, {
      status: query.status,
      klarnaStatus: query.klarnaStatus ?? undefined,
      createdFrom: query.createdFrom ? new Date(query.createdFrom) : undefined,
      createdTo: query.createdTo ? new Date(query.createdTo) : undefined,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      orders: page.map(orderView),
      nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
    };
  }

  async captures(orderId: string): Promise<CaptureView[]> {
    const order = await this.existingOrder(orderId);
    return (await this.orders.capturesOf(this.prisma, order.id)).map(captureView);
  }

  async refunds(orderId: string): Promise<RefundView[]> {
    const order = await this.existingOrder(orderId);
    return (await this.orders.refundsOf(this.prisma, order.id)).map(refundView);
  }

  async operations(orderId: string): Promise<OperationView[]> {
    const order = await this.existingOrder(orderId);
    return (await this.orders.operationsOf(this.prisma, order.id)).map(operationView);
  }

  /**
   * The background job for an operation whose outcome is unknown: the same Klarna call with the same key (Klarna
   * answers with what it did, or does it now). Throws while the outcome stays unknown, so pg-boss retries it with
   * backoff; stops once Klarna may have forgotten the key (the reconciliation then shows what happened).
   */
  async retryOperation(operationId: string): Promise<void> {
    const operation = await this.orders.findOperationById(this.prisma, operationId);
    if (!operation || (operation.status !== 'unknown' && operation.status !== 'pending')) return;
    if (Date.now() - operation.createdAt.getTime() > KEY_WINDOW_MS) {
      this.logger.error({
        event: 'order.operation_unresolved',
        orderId: operation.orderId,
        operationId,
        kind: operation.kind,
      });
      return;
    }
    const order = await this.orders.findById(this.prisma, operation.orderId);
    if (!order) return;
    this.logger.log({ event: 'order.operation_retried', orderId: order.id, operationId, kind: operation.kind });
    try {
      await this.execute(order, operation, { attempts: 1, backoffMs: 0 }, false);
    } catch (error) {
      // A refusal is an answer (recorded on the operation); only an unknown outcome is worth another try.
      if (error instanceof DomainError && !(error instanceof KlarnaUnavailableError)) return;
      throw error;
    }
  }

  /** Hands open operations (unknown, or pending past a crash) to the retry job; the reconciliation calls it. */
  async scheduleOpenOperations(): Promise<number> {
    const open = await this.orders.openOperations(this.prisma, new Date(Date.now() - 5 * 60_000));
    for (const operation of open) await this.scheduleRetry(operation.id);
    return open.length;
  }

  /**
   * Finds or stores the operation for the caller's key, then has Klarna execute it unless it succeeded already.
   * A new operation is checked against the local rules first (`blocker`); nothing is written when it is refused.
   */
  private async run(
    order: OrderRecord,
    kind: Kind,
    requestKey: string,
    request: object,
    blocker: () => Promise<string | DomainError | undefined>,
  ): Promise<OrderOperation> {
    const requestHash = fingerprint(request);
    let operation = await this.orders.findOperation(this.prisma, order.id, kind, requestKey);
    if (!operation) {
      const refusal = await blocker();
      if (refusal instanceof DomainError) throw refusal;
      if (refusal) throw new ConflictError('ORDER_NOT_MODIFIABLE', `Cannot change the order: ${refusal}`);
      try {
        operation = await this.orders.createOperation(this.prisma, {
          orderId: order.id,
          kind,
          requestKey,
          request: stripUndefined(request) as Prisma.InputJsonValue,
          requestHash,
        });
      } catch {
        // A concurrent retry of the same request created it first.
        operation = await this.orders.findOperation(this.prisma, order.id, kind, requestKey);
        if (!operation) throw new Error('Order operation could not be recorded');
      }
    }
    if (operation.requestHash !== null && operation.requestHash !== requestHash) {
      throw new UnprocessableError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was used for a different request; use a new key for a new operation',
      );
    }
    if (operation.status === 'refused') {
      throw new ConflictError(
        'KLARNA_REFUSED',
        `Klarna refused this operation earlier: ${operation.errorCode ?? 'refused'}`,
        operation.correlationId ?? undefined,
      );
    }
    if (operation.status === 'succeeded') return operation;
    return this.execute(order, operation, IN_REQUEST_RETRIES, true);
  }

  /**
   * One Order Management write with the operation's id as Klarna-Idempotency-Key, retried with the same key while
   * the outcome is unknown, then recorded once. A lost answer leaves the operation `unknown` (503 to the caller, who
   * may repeat with the same Idempotency-Key) and hands it to the retry job.
   */
  private async execute(
    order: OrderRecord,
    operation: OrderOperation,
    retries: { attempts: number; backoffMs: number },
    scheduleRetryWhenUnknown: boolean,
  ): Promise<OrderOperation> {
    const kind = this.kinds[operation.kind as Kind];
    if (!kind) throw new Error(`Unknown order operation ${operation.kind}`);
    const request = operation.request as Record<string, unknown>;
    let answer: Answer;
    try {
      answer = await withKlarnaRetries(async () => {
        await this.orders.countOperationAttempt(this.prisma, operation.id);
        return kind.send(order, request, operation.id);
      }, retries);
    } catch (error) {
      if (!(error instanceof KlarnaApiError)) throw error;
      this.logger.warn({
        event: 'order.management_failed',
        orderId: order.id,
        operationId: operation.id,
        operation: operation.kind,
        ...error.toLog(),
      });
      if (error.isTransient) {
        await this.orders.settleOperation(this.prisma, operation.id, {
          status: 'unknown',
          correlationId: error.correlationId ?? null,
          errorCode: error.errorCode,
        });
        this.metrics.orderOperations.inc({ kind: operation.kind, outcome: 'unknown' });
        if (scheduleRetryWhenUnknown) await this.scheduleRetry(operation.id);
        throw new KlarnaUnavailableError(
          'Klarna is not answering; retry with the same Idempotency-Key',
          error.correlationId,
        );
      }
      if (!(await kind.doneDespiteRefusal?.(order))) {
        await this.orders.settleOperation(this.prisma, operation.id, {
          status: 'refused',
          correlationId: error.correlationId ?? null,
          errorCode: error.errorCode,
        });
        if (kind.redact)
          await this.orders.replaceOperationRequest(
            this.prisma,
            operation.id,
            kind.redact(request) as Prisma.InputJsonValue,
          );
        this.metrics.orderOperations.inc({ kind: operation.kind, outcome: 'refused' });
        throw new ConflictError(
          'KLARNA_REFUSED',
          `Klarna refused: ${error.errorCode} ${error.errorMessages.join('; ')}`.trim(),
          error.correlationId,
        );
      }
      answer = {};
    }
    await this.prisma.$transaction(async (tx) => {
      const status = await this.orders.lockOperation(tx, operation.id);
      if (status === 'succeeded' || status === 'refused') return;
      const current = (await this.orders.findById(tx, order.id)) ?? order;
      const result = await kind.record(tx, current, operation, answer);
      await this.orders.settleOperation(tx, operation.id, {
        status: 'succeeded',
        correlationId: answer.correlationId ?? null,
        result,
      });
      if (kind.redact)
        await this.orders.replaceOperationRequest(tx, operation.id, kind.redact(request) as Prisma.InputJsonValue);
    });
    this.metrics.orderOperations.inc({ kind: operation.kind, outcome: 'succeeded' });
    this.logger.log({
      event: kind.event,
      orderId: order.id,
      operationId: operation.id,
      correlationId: answer.correlationId,
    });
    return (await this.orders.findOperationById(this.prisma, operation.id)) ?? operation;
  }

  private operationKinds(): Record<Kind, OperationKind> {
    const klarna = this.klarna;
    const orders = this.orders;
    const correlationOnly = (correlationId: string | undefined): Answer => ({ correlationId });
    return {
      update_authorization: {
        event: 'order.amount_updated',
        send: async (order, request, key) => {
          const change = request as unknown as AmendOrder;
          const totals = change.orderLines
            ? computeOrder(cartLines(change.orderLines), order.purchaseCountry)
            : undefined;
          const update = {
            orderAmount: change.orderAmount,
            description: change.description,
            orderLines: totals?.lines ?? [],
          };
          return correlationOnly(await klarna.updateOrderAuthorization(order.klarnaOrderId!, update, key));
        },
        record: async (tx, order, operation, answer) => {
          const change = operation.request as unknown as AmendOrder;
          const totals = change.orderLines
            ? computeOrder(cartLines(change.orderLines), order.purchaseCountry)
            : undefined;
          await orders.updateAmount(tx, order.id, {
            orderAmount: change.orderAmount,
            orderTaxAmount: totals?.orderTaxAmount ?? 0,
            orderLines: totals?.lines ?? [],
            correlationId: answer.correlationId ?? null,
          });
          await orders.applyCapturesAndRefunds(tx, order.id);
          return { orderAmount: change.orderAmount };
        },
      },
      cancel: {
        event: 'order.cancelled',
        send: async (order, _request, key) => correlationOnly(await klarna.cancelOrder(order.klarnaOrderId!, key)),
        // An earlier cancel under another key may have gone through with its answer lost: read back before refusing.
        doneDespiteRefusal: async (order) => {
          try {
            return (await klarna.getOrder(order.klarnaOrderId!)).status === 'CANCELLED';
          } catch {
            return false;
          }
        },
        record: async (tx, order) => {
          await orders.advanceState(tx, order.id, {
            status: 'cancelled',
            fraudStatus: order.fraudStatus ?? '',
            capturedAmount: order.capturedAmount,
          });
          await orders.advanceKlarnaState(tx, order.id, { klarnaStatus: 'cancelled', remainingAuthorizedAmount: 0 });
          return { status: 'cancelled' };
        },
      },
      capture: {
        event: 'order.captured',
        send: async (order, request, key) => {
          const capture = request as unknown as CaptureRequestStored;
          const created = await klarna.createCapture(
            order.klarnaOrderId!,
            { ...capture, currency: order.purchaseCurrency },
            key,
          );
          return { correlationId: created.correlationId, klarnaId: created.id };
        },
        record: async (tx, order, operation, answer) => {
          const capture = operation.request as unknown as CaptureRequestStored;
          const row = await orders.recordCapture(tx, order.id, {
            operationId: operation.id,
            klarnaCaptureId: answer.klarnaId!,
            capturedAmount: capture.capturedAmount,
            description: capture.description,
            reference: capture.reference,
            orderLines: capture.orderLines ?? [],
            shippingInfo: capture.shippingInfo ?? [],
            capturedAt: new Date(),
          });
          await orders.applyCapturesAndRefunds(tx, order.id);
          return { captureId: row.id, klarnaCaptureId: row.klarnaCaptureId, capturedAmount: row.capturedAmount };
        },
      },
      shipping_info: {
        event: 'order.shipping_info_added',
        send: async (order, request, key) => {
          const { captureId, shippingInfo } = request as { captureId: string; shippingInfo: KlarnaShippingInfo[] };
          const capture = await orders.findCapture(this.prisma, order.id, captureId);
          if (!capture) throw new NotFoundError('CAPTURE_NOT_FOUND', `Order ${order.id} has no capture ${captureId}`);
          return correlationOnly(
            await klarna.addCaptureShippingInfo(order.klarnaOrderId!, capture.klarnaCaptureId, shippingInfo, key),
          );
        },
        record: async (tx, _order, operation) => {
          const { captureId, shippingInfo } = operation.request as unknown as {
            captureId: string;
            shippingInfo: KlarnaShippingInfo[];
          };
          await orders.appendShippingInfo(tx, captureId, shippingInfo);
          return { captureId };
        },
      },
      refund: {
        event: 'order.refunded',
        send: async (order, request, key) => {
          const refund = request as unknown as RefundRequestStored;
          // CyberSource keys refunds by a capture (Klarna's REST API ignores it): the latest one.
          const captures = await orders.capturesOf(this.prisma, order.id);
          const created = await klarna.createRefund(
            order.klarnaOrderId!,
            { ...refund, currency: order.purchaseCurrency, captureId: captures.at(-1)?.klarnaCaptureId },
            key,
          );
          return { correlationId: created.correlationId, klarnaId: created.id };
        },
        record: async (tx, order, operation, answer) => {
          const refund = operation.request as unknown as RefundRequestStored;
          const row = await orders.recordRefund(tx, order.id, {
            operationId: operation.id,
            klarnaRefundId: answer.klarnaId!,
            refundedAmount: refund.refundedAmount,
            description: refund.description,
            reference: refund.reference,
            orderLines: refund.orderLines ?? [],
            refundedAt: new Date(),
          });
          await orders.applyCapturesAndRefunds(tx, order.id);
          return { refundId: row.id, klarnaRefundId: row.klarnaRefundId, refundedAmount: row.refundedAmount };
        },
      },
      extend_authorization: {
        event: 'order.authorization_extended',
        send: async (order, _request, key) => {
          const correlationId = await klarna.extendAuthorizationTime(order.klarnaOrderId!, key);
          // The 204 says it worked but not until when: Order Management's expiry is read once (a failed read leaves
          // ours as it was until the reconciliation).
          const expiresAt = await klarna.getOrder(order.klarnaOrderId!).then(
            (klarnaOrder) => klarnaOrder.expiresAt,
            () => undefined,
          );
          return { correlationId, expiresAt };
        },
        record: async (tx, order, _operation, answer) => {
          if (answer.expiresAt)
            await orders.advanceKlarnaState(tx, order.id, { expiresAt: new Date(answer.expiresAt) });
          return { expiresAt: answer.expiresAt ?? null };
        },
      },
      release_remaining_authorization: {
        event: 'order.authorization_released',
        send: async (order, _request, key) =>
          correlationOnly(await klarna.releaseRemainingAuthorization(order.klarnaOrderId!, key)),
        record: async (tx, order) => {
          await orders.advanceKlarnaState(tx, order.id, { klarnaStatus: 'closed', remainingAuthorizedAmount: 0 });
          return { klarnaStatus: 'closed' };
        },
      },
      update_shipping_address: {
        event: 'order.shipping_address_updated',
        redact: () => ({ shippingAddress: '[removed once Klarna answered: Klarna keeps the address]' }),
        send: async (order, request, key) => {
          const { shippingAddress } = request as { shippingAddress: KlarnaAddress };
          return correlationOnly(await klarna.updateCustomerDetails(order.klarnaOrderId!, { shippingAddress }, key));
        },
        record: async () => ({ updated: 'shippingAddress' }),
      },
      update_merchant_references: {
        event: 'order.merchant_references_updated',
        send: async (order, request, key) => {
          const { merchantReference2 } = request as { merchantReference2: string };
          return correlationOnly(
            await klarna.updateMerchantReferences(order.klarnaOrderId!, { merchantReference2 }, key),
          );
        },
        record: async (tx, order, operation) => {
          const { merchantReference2 } = operation.request as unknown as { merchantReference2: string };
          await orders.setMerchantReference2(tx, order.id, merchantReference2);
          return { merchantReference2 };
        },
      },
    };
  }

  private async scheduleRetry(operationId: string): Promise<void> {
    await this.jobs.send(
      OPERATION_RETRY_JOB,
      { operationId },
      {
        singletonKey: operationId,
        startAfter: new Date(Date.now() + 1000),
        retryLimit: 500,
        retryDelay: 1,
        retryBackoff: true,
        retryDelayMax: Math.ceil(this.config.klarna.retryMaxDelayMs / 1000),
      },
    );
  }

  /** Klarna lines from the caller's, checked with the cart's rules; they must add up to the amount. */
  private klarnaLines(
    input: OrderLineInput[],
    order: OrderRecord,
    amountField: string,
    amount: number,
  ): KlarnaOrderLine[] {
    const lines = cartLines(input);
    const totals = computeOrder(lines, order.purchaseCountry);
    const errors = lines.flatMap((line, index) =>
      checkLine(line, order.purchaseCountry).map((error) => ({
        ...error,
        field: `orderLines[${index}].${error.field}`,
      })),
    );
    if (totals.orderAmount !== amount) {
      errors.push({ field: amountField, message: `must equal the sum of the order lines (${totals.orderAmount})` });
    }
    if (errors.length > 0) throw new ValidationFailedError(errors);
    return totals.lines;
  }

  private async existingOrder(orderId: string): Promise<OrderRecord> {
    const order = await this.orders.findById(this.prisma, orderId);
    if (!order) throw new NotFoundError('ORDER_NOT_FOUND', `Order ${orderId} does not exist`);
    return order;
  }

  private async placedOrder(orderId: string, allowCancelled = false): Promise<OrderRecord> {
    const order = await this.existingOrder(orderId);
    if (!order.klarnaOrderId || isUnresolved(order.status) || order.status === 'failed') {
      throw new ConflictError(
        'ORDER_NOT_MODIFIABLE',
        `The order is ${order.status === 'failed' ? 'failed' : 'still being placed'}`,
      );
    }
    if (order.status === 'cancelled' && !allowCancelled) {
      throw new ConflictError('ORDER_NOT_MODIFIABLE', 'The order is cancelled');
    }
    return order;
  }

  private async read(order: OrderRecord) {
    try {
      return await this.klarna.getOrder(order.klarnaOrderId!);
    } catch (error) {
      if (!(error instanceof KlarnaApiError)) throw error;
      if (error.isTransient) {
        throw new KlarnaUnavailableError(
          'Klarna is not answering; retry with the same Idempotency-Key',
          error.correlationId,
        );
      }
      throw new ConflictError('KLARNA_REFUSED', `Klarna refused: ${error.errorCode}`, error.correlationId);
    }
  }
}

/** An opaque page cursor: the last row's creation time and id. */
function encodeCursor(order: OrderRecord): string {
  return Buffer.from(JSON.stringify([order.createdAt.toISOString(), order.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (Number.isNaN(date.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw new ValidationFailedError([{ field: 'cursor', message: 'is not a cursor this API returned' }]);
  }
}

function cartLines(input: OrderLineInput[]): CartLine[] {
  return input.map((line): CartLine => ({
    ...line,
    type: line.type ?? 'physical',
    totalDiscountAmount: line.totalDiscountAmount ?? 0,
  }));
}

function state(order: OrderRecord): ManagedOrderState {
  return order;
}

function captureView(capture: OrderCapture): CaptureView {
  return {
    id: capture.id,
    orderId: capture.orderId,
    klarnaCaptureId: capture.klarnaCaptureId,
    capturedAmount: capture.capturedAmount,
    description: capture.description,
    reference: capture.reference,
    orderLines: capture.orderLines as unknown as KlarnaOrderLine[],
    shippingInfo: capture.shippingInfo as unknown as KlarnaShippingInfo[],
    capturedAt: capture.capturedAt.toISOString(),
    operationId: capture.operationId,
  };
}

function refundView(refund: OrderRefund): RefundView {
  return {
    id: refund.id,
    orderId: refund.orderId,
    klarnaRefundId: refund.klarnaRefundId,
    refundedAmount: refund.refundedAmount,
    description: refund.description,
    reference: refund.reference,
    orderLines: refund.orderLines as unknown as KlarnaOrderLine[],
    refundedAt: refund.refundedAt.toISOString(),
    operationId: refund.operationId,
  };
}

function operationView(operation: OrderOperation): OperationView {
  return {
    id: operation.id,
    kind: operation.kind,
    requestKey: operation.requestKey,
    status: operation.status,
    request: operation.request,
    result: operation.result,
    errorCode: operation.errorCode,
    correlationId: operation.correlationId,
    attempts: operation.attempts,
    createdAt: operation.createdAt.toISOString(),
    updatedAt: operation.updatedAt.toISOString(),
  };
}

/** JSON without undefined fields (what PostgreSQL keeps, so a stored request reads back as it was fingerprinted). */
function stripUndefined(value: object): object {
  return JSON.parse(JSON.stringify(value)) as object;
}

/** The request's fingerprint: the same Idempotency-Key must come with the same body. */
function fingerprint(request: object): string {
  return createHash('sha256').update(stableJson(request)).digest('hex');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, field]) => field !== undefined);
    entries.sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${stableJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
