import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import {
  ConflictError,
  KlarnaUnavailableError,
  NotFoundError,
  UnprocessableError,
  ValidationFailedError,
} from '../common/errors.js';
import { PrismaService } from '../database/prisma.service.js';
import type { OrderOperation, Prisma } from '../generated/prisma/client.js';
import { KlarnaApiError } from '../klarna/klarna-api.error.js';
import { KlarnaGateway } from '../klarna/klarna-gateway.js';
import { withKlarnaRetries } from '../klarna/klarna-retry.js';
import { checkLine, computeOrder, type CartLine } from '../cart/order-lines.js';
import { amendmentBlocker, isUnresolved } from './order-state.js';
import { OrderRepository } from './order.repository.js';
import { OrderService, orderView } from './order.service.js';
import type { OrderRecord, OrderView } from './order.types.js';

export interface AmendOrder {
  orderAmount: number;
  orderLines?: (Omit<CartLine, 'type' | 'totalDiscountAmount'> & { type?: string; totalDiscountAmount?: number })[];
  description?: string;
}

/**
 * Operations on placed orders through Klarna Order Management. Each operation is stored first; its id is
 * the Klarna-Idempotency-Key, so a retried request (same Idempotency-Key from the caller) changes Klarna
 * once, while two separate requests for the same amount stay two operations.
 */
@Injectable()
export class OrderManagementService {
  private readonly logger = new Logger(OrderManagementService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly orders: OrderRepository,
    private readonly orderService: OrderService,
    private readonly klarna: KlarnaGateway,
  ) {}

  async amend(orderId: string, change: AmendOrder, requestKey: string): Promise<OrderView> {
    const order = await this.placedOrder(orderId);
    const lines = change.orderLines?.map((line): CartLine => ({
      ...line,
      type: line.type ?? 'physical',
      totalDiscountAmount: line.totalDiscountAmount ?? 0,
    }));
    const totals = lines ? computeOrder(lines, order.purchaseCountry) : undefined;
    if (lines && totals) {
      const errors = lines.flatMap((line, index) =>
        checkLine(line, order.purchaseCountry).map((error) => ({
          ...error,
          field: `orderLines[${index}].${error.field}`,
        })),
      );
      if (totals.orderAmount !== change.orderAmount) {
        errors.push({ field: 'orderAmount', message: `must equal the sum of the order lines (${totals.orderAmount})` });
      }
      if (errors.length > 0) throw new ValidationFailedError(errors);
    }
    const klarnaOrder = await this.read(order);
    const blocker = amendmentBlocker(
      { status: order.status, klarnaStatus: klarnaOrder.status, capturedAmount: klarnaOrder.capturedAmount },
      change.orderAmount,
    );
    if (blocker) throw new ConflictError('ORDER_NOT_MODIFIABLE', `Cannot update the order amount: ${blocker}`);

    const operation = await this.operation(order.id, 'update_authorization', requestKey, change);
    if (operation.status !== 'succeeded') {
      const correlationId = await this.callKlarna(order, operation, () =>
        this.klarna.updateOrderAuthorization(
          order.klarnaOrderId!,
          { orderAmount: change.orderAmount, description: change.description, orderLines: totals?.lines ?? [] },
          operation.id,
        ),
      );
      // Klarna advises to trust each operation's own answer rather than reading the order back to confirm it.
      await this.prisma.$transaction(async (tx) => {
        await this.orders.updateAmount(tx, order.id, {
          orderAmount: change.orderAmount,
          orderTaxAmount: totals?.orderTaxAmount ?? 0,
          orderLines: totals?.lines ?? [],
          correlationId: correlationId ?? null,
        });
        await this.orders.settleOperation(tx, operation.id, {
          status: 'succeeded',
          correlationId: correlationId ?? null,
        });
      });
      this.logger.log({ event: 'order.amount_updated', orderId, orderAmount: change.orderAmount, correlationId });
    }
    return this.orderService.getOrder(orderId);
  }

  /** Cancels at Klarna; a repeat for a cancelled order answers 200 with it. */
  async cancel(orderId: string, requestKey: string): Promise<OrderView> {
    const order = await this.placedOrder(orderId, true);
    if (order.status === 'cancelled') return orderView(order);
    const operation = await this.operation(order.id, 'cancel', requestKey, {});
    if (operation.status !== 'succeeded') {
      let correlationId: string | undefined;
      try {
        correlationId = await this.callKlarna(order, operation, () =>
          this.klarna.cancelOrder(order.klarnaOrderId!, operation.id),
        );
      } catch (error) {
        // An earlier cancel under another key may have gone through with its answer lost: read back before refusing.
        if (!(await this.cancelledAtKlarna(order, error))) throw error;
      }
      await this.prisma.$transaction(async (tx) => {
        await this.orders.settleOperation(tx, operation.id, {
          status: 'succeeded',
          correlationId: correlationId ?? null,
        });
        await this.orders.advanceState(tx, order.id, {
          status: 'cancelled',
          fraudStatus: order.fraudStatus ?? '',
          capturedAmount: order.capturedAmount,
        });
      });
      this.logger.log({ event: 'order.cancelled', orderId, correlationId });
    }
    return this.orderService.getOrder(orderId);
  }

  private async placedOrder(orderId: string, allowCancelled = false): Promise<OrderRecord> {
    const order = await this.orders.findById(this.prisma, orderId);
    if (!order) throw new NotFoundError('ORDER_NOT_FOUND', `Order ${orderId} does not exist`);
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
      throw this.asDomainError(error);
    }
  }

  /**
   * The stored operation for this caller's request key, or a new one. The same key with another body is refused:
   * it would otherwise silently answer for a different change.
   */
  private async operation(orderId: string, kind: string, requestKey: string, request: object): Promise<OrderOperation> {
    const requestHash = fingerprint(request);
    let operation = await this.orders.findOperation(this.prisma, orderId, kind, requestKey);
    if (!operation) {
      try {
        operation = await this.orders.createOperation(this.prisma, {
          orderId,
          kind,
          requestKey,
          request: request as Prisma.InputJsonValue,
          requestHash,
        });
      } catch {
        // A concurrent retry of the same request created it first.
        operation = await this.orders.findOperation(this.prisma, orderId, kind, requestKey);
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
    return operation;
  }

  /**
   * One Order Management write with the operation's id as Klarna-Idempotency-Key, retried with the same key while
   * the outcome is unknown; the operation records how it ended (a lost answer stays `unknown`: the caller retries
   * with the same Idempotency-Key, which repeats the same Klarna key).
   */
  private async callKlarna(
    order: OrderRecord,
    operation: OrderOperation,
    call: () => Promise<string | undefined>,
  ): Promise<string | undefined> {
    try {
      return await withKlarnaRetries(call, { attempts: 2, backoffMs: 200 });
    } catch (error) {
      if (error instanceof KlarnaApiError) {
        await this.orders.settleOperation(this.prisma, operation.id, {
          status: error.isTransient ? 'unknown' : 'refused',
          correlationId: error.correlationId ?? null,
          errorCode: error.errorCode,
        });
      }
      this.logger.warn({
        event: 'order.management_failed',
        orderId: order.id,
        operation: operation.kind,
        ...(error instanceof KlarnaApiError ? error.toLog() : {}),
      });
      throw this.asDomainError(error);
    }
  }

  /** Whether Order Management shows the order cancelled (after Klarna refused a cancel). */
  private async cancelledAtKlarna(order: OrderRecord, refusal: unknown): Promise<boolean> {
    if (!(refusal instanceof ConflictError)) return false;
    try {
      return (await this.klarna.getOrder(order.klarnaOrderId!)).status === 'CANCELLED';
    } catch {
      return false;
    }
  }

  private asDomainError(error: unknown): unknown {
    if (!(error instanceof KlarnaApiError)) return error;
    if (error.isTransient)
      return new KlarnaUnavailableError(
        'Klarna is not answering; retry with the same Idempotency-Key',
        error.correlationId,
      );
    return new ConflictError(
      'KLARNA_REFUSED',
      `Klarna refused: ${error.errorCode} ${error.errorMessages.join('; ')}`.trim(),
      error.correlationId,
    );
  }
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
