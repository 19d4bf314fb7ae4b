import { Injectable } from '@nestjs/common';
import type { PrismaTransaction } from '../database/prisma.service.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { CartItemRecord, CartRecord, CustomerData } from './cart.types.js';

type NewItem = Omit<CartItemRecord, 'id' | 'position'>;

interface CartRow {
  id: string;
  status: CartRecord['status'];
  version: number;
  purchase_country: string;
  purchase_currency: string;
  locale: string;
  customer: CustomerData | null;
}

const toCart = (row: CartRow): CartRecord => ({
  id: row.id,
  status: row.status,
  version: row.version,
  purchaseCountry: row.purchase_country,
  purchaseCurrency: row.purchase_currency,
  locale: row.locale,
  customer: row.customer,
});

const ITEM_FIELDS = {
  id: true,
  reference: true,
  name: true,
  type: true,
  quantity: true,
  quantityUnit: true,
  unitPrice: true,
  taxRate: true,
  totalDiscountAmount: true,
  imageUrl: true,
  productUrl: true,
  position: true,
} as const;

/** The only code that touches Cart and CartItem. */
@Injectable()
export class CartRepository {
  async create(
    db: PrismaTransaction,
    market: Pick<CartRecord, 'purchaseCountry' | 'purchaseCurrency' | 'locale'>,
  ): Promise<CartRecord> {
    const cart = await db.cart.create({ data: market });
    return { ...cart, customer: null };
  }

  async find(db: PrismaTransaction, cartId: string): Promise<CartRecord | null> {
    const [row] = await db.$queryRaw<CartRow[]>`
      SELECT id, status, version, purchase_country, purchase_currency, locale, customer FROM cart WHERE id = ${cartId}::uuid`;
    return row ? toCart(row) : null;
  }

  /** Takes the cart's row lock and counts the change (version + 1) in one statement; null when absent. */
  async lockForChange(tx: PrismaTransaction, cartId: string): Promise<CartRecord | null> {
    const [row] = await tx.$queryRaw<CartRow[]>`
      UPDATE cart SET version = version + 1, updated_at = now() WHERE id = ${cartId}::uuid
      RETURNING id, status, version, purchase_country, purchase_currency, locale, customer`;
    return row ? toCart(row) : null;
  }

  /** Takes the cart's row lock without changing it (pushes and orders serialise on it). */
  async lock(tx: PrismaTransaction, cartId: string): Promise<CartRecord | null> {
    const [row] = await tx.$queryRaw<CartRow[]>`
      SELECT id, status, version, purchase_country, purchase_currency, locale, customer FROM cart
      WHERE id = ${cartId}::uuid FOR UPDATE`;
    return row ? toCart(row) : null;
  }

  items(db: PrismaTransaction, cartId: string): Promise<CartItemRecord[]> {
    return db.cartItem.findMany({ where: { cartId }, orderBy: { position: 'asc' }, select: ITEM_FIELDS });
  }

  addItem(tx: PrismaTransaction, cartId: string, item: NewItem, position: number): Promise<CartItemRecord> {
    return tx.cartItem.create({ data: { ...item, cartId, position }, select: ITEM_FIELDS });
  }

  updateItem(tx: PrismaTransaction, itemId: string, item: NewItem): Promise<CartItemRecord> {
    return tx.cartItem.update({ where: { id: itemId }, data: item, select: ITEM_FIELDS });
  }

  async removeItem(tx: PrismaTransaction, itemId: string): Promise<void> {
    await tx.cartItem.delete({ where: { id: itemId } });
  }

  async updateCart(
    tx: PrismaTransaction,
    cartId: string,
    changes: Partial<Pick<CartRecord, 'purchaseCountry' | 'purchaseCurrency' | 'locale' | 'status'>> & {
      customer?: CustomerData;
    },
  ): Promise<void> {
    const { customer, ...rest } = changes;
    await tx.cart.update({
      where: { id: cartId },
      data: { ...rest, ...(customer ? { customer: customer as Prisma.InputJsonValue } : {}) },
    });
  }
}
