import { Injectable, Logger } from '@nestjs/common';
import { ConflictError, KlarnaUnavailableError, NotFoundError, ValidationFailedError } from '../common/errors.js';
import { PrismaService } from '../database/prisma.service.js';
import type { Prisma } from '../generated/prisma/client.js';
import { KlarnaApiError } from '../klarna/klarna-api.error.js';
import { KlarnaGateway } from '../klarna/klarna-gateway.js';
import { checkLine, computeOrder, type CartLine } from '../cart/order-lines.js';
import { amendmentBlocker } from './order-state.js';
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
      const correlationId = await this.callKlarna(order, operation.id, () =>
        this.klarna.updateOrderAuthorization(
          order.klarnaOrderId!,
          { orderAmount: change.orderAmount, description: change.description, orderLines: totals?.lines ?? [] },
          operation.id,
        ),
      );
      await this.prisma.$transaction(async (tx) => {
        await this.orders.updateAmount(tx, order.id, {
          orderAmount: change.orderAmount,
          orderTaxAmount: totals?.orderTaxAmount ?? 0,
          orderLines: totals?.lines ?? [],
          correlationId: correlationId ?? null,
        });
        await this.orders.finishOperation(tx, operation.id, 'succeeded', correlationId ?? null);
      });
      this.logger.log({ event: 'order.amount_updated', orderId, orderAmount: change.orderAmount, correlationId });
    }
    return this.orderService.getOrder(orderId);
  }

  async cancel(orderId: string, requestKey: string): Promise<OrderView> {
    const order = await this.placedOrder(orderId, true);
    if (order.status === 'cancelled') return orderView(order);
    const operation = await this.operation(order.id, 'cancel', requestKey, {});
    if (operation.status !== 'succeeded') {
      const correlationId = await this.callKlarna(order, operation.id, () =>
        this.klarna.cancelOrder(order.klarnaOrderId!, operation.id),
      );
      await this.prisma.$transaction(async (tx) => {
        await this.orders.finishOperation(tx, operation.id, 'succeeded', correlationId ?? null);
        const klarnaOrder = await this.klarna.getOrder(order.klarnaOrderId!);
        await this.orderService.applyManagedState(tx, order, klarnaOrder);
      });
      this.logger.log({ event: 'order.cancelled', orderId, correlationId });
    }
    return this.orderService.getOrder(orderId);
  }

  private async placedOrder(orderId: string, allowCancelled = false): Promise<OrderRecord> {
    const order = await this.orders.findById(this.prisma, orderId);
    if (!order) throw new NotFoundError('ORDER_NOT_FOUND', `Order ${orderId} does not exist`);
    if (!order.klarnaOrderId || order.status === 'placing') {
      throw new ConflictError('ORDER_NOT_MODIFIABLE', 'The order is still being placed');
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

  /** The stored operation for this caller's request key, or a new one. */
  private async operation(orderId: string, kind: string, requestKey: string, request: object) {
    const existing = await this.orders.findOperation(this.prisma, orderId, kind, requestKey);
    if (existing) return existing;
    try {
      return await this.orders.createOperation(this.prisma, {
        orderId,
        kind,
        requestKey,
        request: request as Prisma.InputJsonValue,
      });
    } catch {
      // A concurrent retry of the same request created it first.
      const raced = await this.orders.findOperation(this.prisma, orderId, kind, requestKey);
      if (!raced) throw new Error('Order operation could not be recorded');
      return raced;
    }
  }

  private async callKlarna(order: OrderRecord, operationId: string, call: () => Promise<string | undefined>) {
    try {
      return await call();
    } catch (error) {
      if (error instanceof KlarnaApiError && !error.isTransient) {
        await this.orders.finishOperation(this.prisma, operationId, 'refused', error.correlationId ?? null);
      }
      this.logger.warn({
        event: 'order.management_failed',
        orderId: order.id,
        ...(error instanceof KlarnaApiError ? error.toLog() : {}),
      });
      throw this.asDomainError(error);
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
