import { Injectable } from '@nestjs/common';
import type { PrismaTransaction } from '../database/prisma.service.js';
import type { Order, OrderOperation, Prisma } from '../generated/prisma/client.js';
import type { KlarnaOrderLine } from '../klarna/klarna.types.js';
import type { OrderStatus } from './order-state.js';
import type { OrderRecord } from './order.types.js';

const toRecord = (order: Order): OrderRecord => ({
  ...order,
  orderLines: order.orderLines as unknown as KlarnaOrderLine[],
});

/** The only code that touches Order and OrderOperation. */
@Injectable()
export class OrderRepository {
  async findById(db: PrismaTransaction, id: string): Promise<OrderRecord | null> {
    const order = await db.order.findUnique({ where: { id } });
    return order ? toRecord(order) : null;
  }

  async findByCart(db: PrismaTransaction, cartId: string): Promise<OrderRecord | null> {
    const order = await db.order.findUnique({ where: { cartId } });
    return order ? toRecord(order) : null;
  }

  async createPlacing(
    tx: PrismaTransaction,
    order: Pick<
      OrderRecord,
      | 'id'
      | 'cartId'
      | 'authorizationId'
      | 'orderAmount'
      | 'orderTaxAmount'
      | 'purchaseCountry'
      | 'purchaseCurrency'
      | 'orderLines'
    >,
  ): Promise<OrderRecord> {
    const created = await tx.order.create({
      data: {
        ...order,
        orderLines: order.orderLines as unknown as Prisma.InputJsonValue,
        status: 'placing',
        merchantReference1: order.id,
      },
    });
    return toRecord(created);
  }

  async deletePlacing(tx: PrismaTransaction, id: string): Promise<void> {
    await tx.order.deleteMany({ where: { id, status: 'placing' } });
  }

  /** Records Klarna's order on a placing row; false when someone (push, reconciliation) already did. */
  async completePlacement(
    tx: PrismaTransaction,
    id: string,
    placed: { klarnaOrderId: string; fraudStatus: string; redirectUrl: string | null; correlationId: string | null },
  ): Promise<boolean> {
    const { count } = await tx.order.updateMany({
      where: { id, status: 'placing' },
      data: {
        status: 'placed',
        klarnaOrderId: placed.klarnaOrderId,
        fraudStatus: placed.fraudStatus,
        redirectUrl: placed.redirectUrl,
        lastCorrelationId: placed.correlationId,
      },
    });
    return count === 1;
  }

  async updateState(
    tx: PrismaTransaction,
    id: string,
    state: { status: OrderStatus; fraudStatus: string; capturedAmount: number; orderAmount?: number },
  ): Promise<void> {
    await tx.order.update({ where: { id }, data: state });
  }

  async updateAmount(
    tx: PrismaTransaction,
    id: string,
    amount: {
      orderAmount: number;
      orderTaxAmount: number;
      orderLines: KlarnaOrderLine[];
      correlationId: string | null;
    },
  ): Promise<void> {
    await tx.order.update({
      where: { id },
      data: {
        orderAmount: amount.orderAmount,
        orderTaxAmount: amount.orderTaxAmount,
        orderLines: amount.orderLines as unknown as Prisma.InputJsonValue,
        lastCorrelationId: amount.correlationId,
      },
    });
  }

  async placingOlderThan(db: PrismaTransaction, before: Date): Promise<{ id: string; cartId: string }[]> {
    return db.order.findMany({
      where: { status: 'placing', createdAt: { lt: before } },
      select: { id: true, cartId: true },
      take: 100,
    });
  }

  findOperation(
    db: PrismaTransaction,
    orderId: string,
    kind: string,
    requestKey: string,
  ): Promise<OrderOperation | null> {
    return db.orderOperation.findUnique({ where: { orderId_kind_requestKey: { orderId, kind, requestKey } } });
  }

  createOperation(
    db: PrismaTransaction,
    operation: { orderId: string; kind: string; requestKey: string; request: Prisma.InputJsonValue },
  ): Promise<OrderOperation> {
    return db.orderOperation.create({ data: { ...operation, status: 'pending' } });
  }

  async finishOperation(
    db: PrismaTransaction,
    id: string,
    status: 'succeeded' | 'refused',
    correlationId: string | null,
  ): Promise<void> {
    await db.orderOperation.update({ where: { id }, data: { status, correlationId } });
  }
}
