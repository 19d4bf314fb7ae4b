import { Injectable } from '@nestjs/common';
import type { PrismaTransaction } from '../database/prisma.service.js';
import { Prisma } from '../generated/prisma/client.js';
import { rowsOf, type Db } from '../database/sql.js';
import type { MoneyAmount } from '../common/money.js';
import type { ShippingMethodInput, ShippingMethodRecord } from './shipping-rules.js';

export interface MethodRow {
  id: string;
  name: string;
  countries: unknown;
  prices: unknown;
  freeOver: unknown;
  taxClass: string;
  deliveryEstimate: string | null;
  active: boolean;
}

const METHOD_COLUMNS = Prisma.sql`id, name, countries, prices, free_over AS "freeOver", tax_class AS "taxClass",
  delivery_estimate AS "deliveryEstimate", active`;

export const toMethod = (row: MethodRow): ShippingMethodRecord => ({
  id: row.id,
  name: row.name,
  countries: row.countries as string[],
  prices: row.prices as MoneyAmount[],
  freeOver: row.freeOver as MoneyAmount[],
  taxClass: row.taxClass,
  deliveryEstimate: row.deliveryEstimate,
  active: row.active,
});

/** The only code that touches shipping_method. */
@Injectable()
export class ShippingRepository {
  /** Creates or replaces the method; true when it is new. */
  async put(db: PrismaTransaction, id: string, method: ShippingMethodInput): Promise<boolean> {
    const data = {
      ...method,
      countries: method.countries as Prisma.InputJsonValue,
      prices: method.prices as unknown as Prisma.InputJsonValue,
      freeOver: method.freeOver as unknown as Prisma.InputJsonValue,
    };
    const existed = await db.shippingMethod.findUnique({ where: { id }, select: { id: true } });
    await db.shippingMethod.upsert({ where: { id }, create: { id, ...data }, update: data });
    return !existed;
  }

  async find(db: Db, id: string): Promise<ShippingMethodRecord | null> {
    const [row] = await rowsOf<MethodRow>(
      db,
      Prisma.sql`SELECT ${METHOD_COLUMNS} FROM shipping_method WHERE id = ${id}`,
    );
    return row ? toMethod(row) : null;
  }

  async list(db: PrismaTransaction): Promise<ShippingMethodRecord[]> {
    return (await db.shippingMethod.findMany({ orderBy: { id: 'asc' } })).map(toMethod);
  }

  /** Active methods that list the country. */
  async forCountry(db: PrismaTransaction, country: string): Promise<ShippingMethodRecord[]> {
    const rows = await db.$queryRaw<MethodRow[]>`
      SELECT ${METHOD_COLUMNS}
      FROM shipping_method WHERE active AND countries @> jsonb_build_array(${country}::text) ORDER BY id`;
    return rows.map(toMethod);
  }

  async isEmpty(db: PrismaTransaction): Promise<boolean> {
    return (await db.shippingMethod.count()) === 0;
  }
}
