import { Injectable } from '@nestjs/common';
import { uuidV7 } from '../common/uuid.js';
import type { PrismaTransaction } from '../database/prisma.service.js';
import { Prisma } from '../generated/prisma/client.js';
import { rowsOf, type Db } from '../database/sql.js';
import type { CartItemRecord, CartRecord, CustomerData } from './cart.types.js';
import type { AddedLine } from './checkout-lines.js';

const CART_COLUMNS = Prisma.sql`id, status, version, purchase_country, purchase_currency, locale, customer,
  shipping_method_id, shipping_line, discount_code, discount_lines`;

/** What the cart's shipping and discount choice write. */
export type CheckoutChoice = Pick<CartRecord, 'shippingMethodId' | 'shippingLine' | 'discountCode' | 'discountLines'>;

export interface CartRow {
  id: string;
  status: CartRecord['status'];
  version: number;
  purchase_country: string;
  purchase_currency: string;
  locale: string;
  customer: CustomerData | null;
  shipping_method_id: string | null;
  shipping_line: AddedLine | null;
  discount_code: string | null;
  discount_lines: AddedLine[];
}

export const toCart = (row: CartRow): CartRecord => ({
  id: row.id,
  status: row.status,
  version: row.version,
  purchaseCountry: row.purchase_country,
  purchaseCurrency: row.purchase_currency,
  locale: row.locale,
  customer: row.customer,
  shippingMethodId: row.shipping_method_id,
  shippingLine: row.shipping_line,
  discountCode: row.discount_code,
  discountLines: row.discount_lines,
});

const ITEM_COLUMNS = Prisma.sql`id, reference, name, type, quantity, quantity_unit, unit_price, tax_rate,
  sales_tax_rate, total_discount_amount, image_url, product_url, position`;

interface ItemRow {
  id: string;
  reference: string;
  name: string;
  type: string;
  quantity: number;
  quantity_unit: string | null;
  unit_price: number;
  tax_rate: number;
  sales_tax_rate: number | null;
  total_discount_amount: number;
  image_url: string | null;
  product_url: string | null;
  position: number;
}

const toItem = (row: ItemRow): CartItemRecord => ({
  id: row.id,
  reference: row.reference,
  name: row.name,
  type: row.type,
  quantity: row.quantity,
  quantityUnit: row.quantity_unit,
  unitPrice: row.unit_price,
  taxRate: row.tax_rate,
  salesTaxRate: row.sales_tax_rate,
  totalDiscountAmount: row.total_discount_amount,
  imageUrl: row.image_url,
  productUrl: row.product_url,
  position: row.position,
});

/** The only code that touches Cart and CartItem. */
@Injectable()
export class CartRepository {
  async create(
    db: Db,
    market: Pick<CartRecord, 'purchaseCountry' | 'purchaseCurrency' | 'locale'>,
  ): Promise<CartRecord> {
    const [cart] = await rowsOf<Pick<CartRecord, 'id' | 'status' | 'version'>>(
      db,
      Prisma.sql`
      INSERT INTO cart (id, purchase_country, purchase_currency, locale)
      VALUES (${uuidV7()}::uuid, ${market.purchaseCountry}, ${market.purchaseCurrency}, ${market.locale})
      RETURNING id, status::text AS status, version`,
    );
    return {
      id: cart.id,
      status: cart.status,
      version: cart.version,
      purchaseCountry: market.purchaseCountry,
      purchaseCurrency: market.purchaseCurrency,
      locale: market.locale,
      customer: null,
      shippingMethodId: null,
      shippingLine: null,
      discountCode: null,
      discountLines: [],
    };
  }

  async find(db: PrismaTransaction, cartId: string): Promise<CartRecord | null> {
    const [row] = await db.$queryRaw<CartRow[]>`
      SELECT ${CART_COLUMNS} FROM cart WHERE id = ${cartId}::uuid`;
    return row ? toCart(row) : null;
  }

  async items(db: PrismaTransaction, cartId: string): Promise<CartItemRecord[]> {
    const rows = await db.$queryRaw<ItemRow[]>`
      SELECT ${ITEM_COLUMNS} FROM cart_item WHERE cart_id = ${cartId}::uuid ORDER BY position`;
    return rows.map(toItem);
  }

  /** The cart's place in checkout; its content changes only through the store's write (cart-store.ts). */
  async setStatus(db: Db, cartId: string, status: CartRecord['status']): Promise<void> {
    await rowsOf(
      db,
      Prisma.sql`UPDATE cart SET status = ${status}::"CartStatus", updated_at = now() WHERE id = ${cartId}::uuid`,
    );
  }
}
