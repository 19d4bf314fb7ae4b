import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/errors.js';
import { CatalogService } from '../catalog/catalog.service.js';
import { PrismaService, type PrismaTransaction } from '../database/prisma.service.js';
import type { Db } from '../database/sql.js';
import type { PutShippingMethodDto } from './dto/shipping-method.dto.js';
import {
  priceShipping,
  type ShippingMethodInput,
  type ShippingMethodRecord,
  type ShippingOption,
} from './shipping-rules.js';
import { ShippingRepository } from './shipping.repository.js';

/** The market a shipping method is priced for: the cart's country and currency. */
export interface ShippingMarket {
  country: string;
  currency: string;
}

/**
 * Shipping methods per market (ops manage them), priced for a cart: the method's price in the cart's currency,
 * free over its threshold, taxed at its tax class's rate for the cart's country (the catalog's tax table).
 */
@Injectable()
export class ShippingService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly methods: ShippingRepository,
    private readonly catalog: CatalogService,
  ) {}

  async putMethod(id: string, dto: PutShippingMethodDto): Promise<{ created: boolean; method: ShippingMethodRecord }> {
    const created = await this.methods.put(this.prisma, id, inputOf(dto));
    return { created, method: (await this.methods.find(this.prisma, id))! };
  }

  listMethods(): Promise<ShippingMethodRecord[]> {
    return this.methods.list(this.prisma);
  }

  async getMethod(id: string): Promise<ShippingMethodRecord> {
    const method = await this.methods.find(this.prisma, id);
    if (!method) throw new NotFoundError('SHIPPING_METHOD_NOT_FOUND', `Shipping method ${id} does not exist`);
    return method;
  }

  /** What a cart in `market` with items worth `itemsAmount` can choose, priced for it. */
  async optionsFor(db: PrismaTransaction, market: ShippingMarket, itemsAmount: number): Promise<ShippingOption[]> {
    const methods = await this.methods.forCountry(db, market.country);
    const rates = await this.catalog.taxRates(db, market.country, [...new Set(methods.map((m) => m.taxClass))]);
    return methods
      .map((method) => priceShipping(method, market, itemsAmount, rates.get(method.taxClass)))
      .filter((option): option is ShippingOption => option !== undefined);
  }

  /** The method priced for the cart; undefined when it does not exist or does not serve the market. */
  async optionFor(
    db: Db,
    methodId: string,
    market: ShippingMarket,
    itemsAmount: number,
  ): Promise<ShippingOption | undefined> {
    const method = await this.methods.find(db, methodId);
    if (!method) return undefined;
    const rates = await this.catalog.taxRates(db, market.country, [method.taxClass]);
    return priceShipping(method, market, itemsAmount, rates.get(method.taxClass));
  }

  /** Development demo data: writes the methods only when there are none. */
  async seedIfEmpty(methods: readonly ShippingMethodRecord[]): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`LOCK TABLE shipping_method IN SHARE ROW EXCLUSIVE MODE`;
      if (!(await this.methods.isEmpty(tx))) return 0;
      for (const { id, ...method } of methods) await this.methods.put(tx, id, method);
      return methods.length;
    });
  }
}

export function inputOf(dto: PutShippingMethodDto): ShippingMethodInput {
  return {
    name: dto.name,
    countries: dto.countries,
    prices: dto.prices.map(({ currency, amount }) => ({ currency, amount })),
    taxClass: dto.taxClass,
    freeOver: (dto.freeOver ?? []).map(({ currency, amount }) => ({ currency, amount })),
    deliveryEstimate: dto.deliveryEstimate ?? null,
    active: dto.active,
  };
}
