import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { ConflictError, NotFoundError, ValidationFailedError } from '../common/errors.js';
import { Catalog } from '../catalog/catalog.js';
import type { Market, PricedItems } from '../catalog/catalog.types.js';
import { PrismaService, transactionOptionsFor, type PrismaTransaction } from '../database/prisma.service.js';
import { checkMarket } from '../klarna/klarna-markets.js';
import type { KlarnaAddress, KlarnaSessionIntent } from '../klarna/klarna.types.js';
import { KlarnaSessionService } from '../klarna-session/klarna-session.service.js';
import type { KlarnaCartState, KlarnaSessionAnswer } from '../klarna-session/klarna-session.types.js';
import type { SessionCart } from '../klarna-session/session-cart.js';
import { priceLines, salesTaxLines, type LineChange, type LinePrice, type WantedLine } from './cart-pricing.js';
import { CartRepository } from './cart.repository.js';
import type { CartItemRecord, CartNotice, CartRecord, CartView, CustomerData } from './cart.types.js';
import type { AddCartItemDto, UpdateCartItemDto } from './dto/cart-item.dto.js';
import type { CreateCartDto, UpdateCartDto } from './dto/cart.dto.js';
import type { PutCustomerDto } from './dto/customer.dto.js';
import { checkOrder, computeOrder, type OrderTotals } from './order-lines.js';

/** What a change wants the cart to be: its record (market, customer) and its lines by reference and quantity. */
interface Wanted {
  cart: CartRecord;
  lines: WantedLine[];
  /** The reference the request named: it must be sold (422), and its quantity within its limit (400). */
  requested?: string;
}

type Change = (cart: CartRecord, items: CartItemRecord[]) => Wanted;

const MARKET_FIELDS = { purchase_country: 'purchaseCountry', purchase_currency: 'purchaseCurrency', locale: 'locale' };

/**
 * The storefront's cart, priced by the server. Every change runs in one transaction that takes the cart's row
 * lock, prices every line at the catalog's current word (a line no longer sold goes, with a notice), writes the
 * difference, checks Klarna's order-line rules and pushes the cart to its Klarna session, if it has one.
 */
@Injectable()
export class CartService {
  private readonly transactionOptions: { timeout: number; maxWait: number };

  constructor(
    private readonly prisma: PrismaService,
    private readonly carts: CartRepository,
    private readonly klarnaSessions: KlarnaSessionService,
    private readonly catalog: Catalog,
    private readonly config: AppConfig,
  ) {
    this.transactionOptions = transactionOptionsFor(config);
  }

  async createCart(dto: CreateCartDto): Promise<CartView> {
    assertMarket(dto.purchaseCountry, dto.purchaseCurrency, dto.locale);
    const cart = await this.carts.create(this.prisma, dto);
    return toView(cart, [], totalsOf(cart, []), null, []);
  }

  /** The shipping address the shopper gave (for the merchant's warehouse, when the operator turned that on). */
  async shippingAddressOf(cartId: string): Promise<KlarnaAddress | null> {
    return (await this.carts.find(this.prisma, cartId))?.customer?.shippingAddress ?? null;
  }

  async getCart(cartId: string): Promise<CartView> {
    const cart = await this.carts.find(this.prisma, cartId);
    if (!cart) throw cartNotFound(cartId);
    const items = await this.carts.items(this.prisma, cartId);
    const klarna = await this.klarnaSessions.currentState(this.prisma, cart);
    return toView(cart, items, totalsOf(cart, items), klarna, []);
  }

  /** A market change prices every line in the new market; lines it does not sell go, with a notice. */
  updateCart(cartId: string, dto: UpdateCartDto): Promise<CartView> {
    return this.change(cartId, (cart, items) => {
      const changed = { ...cart, ...definedFields(dto) };
      assertMarket(changed.purchaseCountry, changed.purchaseCurrency, changed.locale);
      return { cart: changed, lines: items.map(wantedOf) };
    });
  }

  /** A reference already in the cart adds to that line. */
  addItem(cartId: string, dto: AddCartItemDto): Promise<CartView> {
    return this.change(cartId, (cart, items) => {
      const lines = items.map(wantedOf);
      const existing = lines.find((line) => line.reference === dto.reference);
      if (existing) existing.quantity += dto.quantity;
      else lines.push({ reference: dto.reference, quantity: dto.quantity });
      return { cart, lines, requested: dto.reference };
    });
  }

  updateItem(cartId: string, itemId: string, dto: UpdateCartItemDto): Promise<CartView> {
    return this.change(cartId, (cart, items) => {
      const item = findItem(items, itemId);
      const lines = items.map((line) =>
        line.id === itemId ? { ...wantedOf(line), quantity: dto.quantity } : wantedOf(line),
      );
      return { cart, lines, requested: item.reference };
    });
  }

  removeItem(cartId: string, itemId: string): Promise<CartView> {
    return this.change(cartId, (cart, items) => {
      findItem(items, itemId);
      return { cart, lines: items.filter((item) => item.id !== itemId).map(wantedOf) };
    });
  }

  setCustomer(cartId: string, dto: PutCustomerDto): Promise<CartView> {
    return this.change(cartId, (cart, items) => {
      const customer = JSON.parse(JSON.stringify(dto)) as CustomerData;
      return { cart: { ...cart, customer }, lines: items.map(wantedOf) };
    });
  }

  /** POST /carts/:id/klarna-session: the cart is priced again first, so the session starts at today's prices. */
  async openKlarnaSession(
    cartId: string,
    intent: KlarnaSessionIntent = 'buy',
  ): Promise<{ created: boolean; session: KlarnaSessionAnswer }> {
    const prefetched = await this.prefetch(cartId);
    const opened = await this.prisma.$transaction(async (tx) => {
      const { cart, sessionCart } = await this.repricedUnderLock(tx, cartId, prefetched);
      assertChangeable(cart);
      const result = await this.klarnaSessions.openSession(tx, sessionCart, intent);
      if (cart.status === 'open') await this.carts.updateCart(tx, cartId, { status: 'checkout' });
      return result;
    }, this.transactionOptions);
    // A new session expires the authorizations of the one it replaced: Klarna should release them.
    if (opened.created) await this.klarnaSessions.scheduleRelease(cartId);
    return opened;
  }

  /** GET /carts/:id/klarna-session. */
  async getKlarnaSession(cartId: string): Promise<KlarnaSessionAnswer> {
    const cart = await this.carts.find(this.prisma, cartId);
    if (!cart) throw cartNotFound(cartId);
    const session = await this.klarnaSessions.findSession(this.prisma, cartId);
    if (!session) throw new NotFoundError('NO_KLARNA_SESSION', `Cart ${cartId} has no Klarna session`);
    return session;
  }

  /**
   * For the order module, inside its transaction: takes the cart's row lock and returns the cart with its
   * Klarna order content, computed from our database (never from a request body).
   */
  async lockForCheckout(
    tx: PrismaTransaction,
    cartId: string,
  ): Promise<{ cart: CartRecord; sessionCart: SessionCart }> {
    const locked = await this.lockedSnapshot(tx, cartId);
    if (!locked) throw cartNotFound(cartId);
    return locked;
  }

  /**
   * Just before an order is placed, inside its transaction: the cart's lines priced again at the catalog's word.
   * When anything moved (a price, a product no longer sold), the cart is re-priced, pushed to Klarna (the
   * authorization goes stale) and the changes are returned: the order must not be placed at the old price.
   */
  async repriceForCheckout(
    tx: PrismaTransaction,
    cartId: string,
  ): Promise<{ cart: CartRecord; sessionCart: SessionCart; changes: CartNotice[] }> {
    return this.repricedUnderLock(tx, cartId);
  }

  /** An order is being placed: the cart refuses every change (ORDER_IN_PROGRESS) until the outcome is known. */
  async beginPlacement(tx: PrismaTransaction, cartId: string): Promise<void> {
    await this.carts.updateCart(tx, cartId, { status: 'placing' });
  }

  /** Klarna refused the order: the shopper may change the cart and authorize again. */
  async endFailedPlacement(tx: PrismaTransaction, cartId: string): Promise<void> {
    await this.carts.updateCart(tx, cartId, { status: 'checkout' });
  }

  async markOrdered(tx: PrismaTransaction, cartId: string): Promise<void> {
    await this.carts.updateCart(tx, cartId, { status: 'ordered' });
  }

  /**
   * The retry job: brings the cart's session up to date (reading Klarna back after a push of unknown outcome);
   * a transient Klarna failure throws, and the job is retried.
   */
  async resyncKlarnaSession(cartId: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const locked = await this.lockedSnapshot(tx, cartId);
      if (!locked || locked.cart.status === 'ordered' || locked.cart.status === 'placing') return;
      await this.klarnaSessions.resyncCart(tx, locked.sessionCart);
    }, this.transactionOptions);
  }

  /** The cart under its row lock with its Klarna order content; null when there is no such cart. */
  private async lockedSnapshot(
    tx: PrismaTransaction,
    cartId: string,
  ): Promise<{ cart: CartRecord; sessionCart: SessionCart } | null> {
    const cart = await this.carts.lock(tx, cartId);
    if (!cart) return null;
    const items = await this.carts.items(tx, cartId);
    return { cart, sessionCart: sessionCart(cart, totalsOf(cart, items)) };
  }

  /** Locks the cart and prices its lines again; a difference is written (and counted in the version) and pushed. */
  private async repricedUnderLock(
    tx: PrismaTransaction,
    cartId: string,
    prefetched?: PricedItems,
  ): Promise<{ cart: CartRecord; sessionCart: SessionCart; changes: CartNotice[] }> {
    const locked = await this.carts.lock(tx, cartId);
    if (!locked) throw cartNotFound(cartId);
    const items = await this.carts.items(tx, cartId);
    if (items.length === 0 || locked.status === 'ordered' || locked.status === 'placing') {
      return { cart: locked, sessionCart: sessionCart(locked, totalsOf(locked, items)), changes: [] };
    }
    const priced = await this.price(
      tx,
      locked,
      items.map((item) => item.reference),
      prefetched,
    );
    const { lines, changes } = priceLines(
      items.map(wantedOf),
      priced,
      marketOf(locked),
      this.config.maxLineQuantity,
      previousPrices(items),
    );
    if (changes.length === 0) {
      return { cart: locked, sessionCart: sessionCart(locked, totalsOf(locked, items)), changes: [] };
    }
    const cart = { ...locked, version: await this.carts.bumpVersion(tx, cartId) };
    const written = await this.writeLines(tx, cartId, items, lines);
    const totals = totalsOf(cart, written);
    await this.klarnaSessions.syncCart(tx, sessionCart(cart, totals));
    return { cart, sessionCart: sessionCart(cart, totals), changes: changes.map(noticeOf) };
  }

  private async change(cartId: string, apply: Change): Promise<CartView> {
    const prefetched = await this.prefetch(cartId);
    const view = await this.prisma.$transaction(async (tx) => {
      const locked = await this.carts.lockForChange(tx, cartId);
      if (!locked) throw cartNotFound(cartId);
      assertChangeable(locked);
      const items = await this.carts.items(tx, cartId);
      const wanted = apply(locked, items);
      const priced = await this.price(
        tx,
        wanted.cart,
        wanted.lines.map((line) => line.reference),
        prefetched,
      );
      const { lines, changes } = priceLines(
        wanted.lines,
        priced,
        marketOf(wanted.cart),
        this.config.maxLineQuantity,
        previousPrices(items),
        wanted.requested,
      );
      const { cart } = wanted;
      if (cart !== locked) await this.carts.updateCart(tx, cartId, marketAndCustomerChanges(locked, cart));
      const written = await this.writeLines(tx, cartId, items, lines);
      const totals = totalsOf(cart, written);
      const errors = checkOrder(totals);
      if (errors.length > 0) throw new ValidationFailedError(errors);
      const klarna = await this.klarnaSessions.syncCart(tx, sessionCart(cart, totals));
      return toView(cart, written, totals, klarna, changes.map(noticeOf));
    }, this.transactionOptions);
    // Authorizations this change made stale (or expired, with a new session) are released at Klarna.
    if (view.klarna && ((view.klarna.action !== 'load' && view.klarna.action !== 'none') || view.klarna.syncError)) {
      await this.klarnaSessions.scheduleRelease(cartId);
    }
    return view;
  }

  /**
   * The shop's own catalog (HTTP) is asked before the cart's row lock is taken, so a slow catalog never holds it;
   * the PostgreSQL catalog is read inside the transaction (one statement).
   */
  private async prefetch(cartId: string): Promise<PricedItems | undefined> {
    if (this.catalog.source !== 'http') return undefined;
    const cart = await this.carts.find(this.prisma, cartId);
    if (!cart) return undefined;
    const items = await this.carts.items(this.prisma, cartId);
    return this.catalog.priceItems(
      marketOf(cart),
      items.map((item) => item.reference),
    );
  }

  private async price(
    tx: PrismaTransaction,
    cart: CartRecord,
    references: string[],
    prefetched: PricedItems | undefined,
  ): Promise<PricedItems> {
    const market = marketOf(cart);
    const missing = prefetched ? references.filter((reference) => !prefetched.has(reference)) : references;
    if (prefetched && missing.length === 0) return prefetched;
    const fetched = await this.catalog.priceItems(market, missing, tx);
    return prefetched ? new Map([...prefetched, ...fetched]) : fetched;
  }

  /** Writes the difference between the cart's items and its priced lines; returns the items after it, in order. */
  private async writeLines(
    tx: PrismaTransaction,
    cartId: string,
    items: CartItemRecord[],
    lines: ReturnType<typeof priceLines>['lines'],
  ): Promise<CartItemRecord[]> {
    const kept = new Set(lines.map((line) => line.id).filter((id): id is string => id !== undefined));
    for (const item of items) if (!kept.has(item.id)) await this.carts.removeItem(tx, item.id);
    let position = items.reduce((max, item) => Math.max(max, item.position), 0);
    const written: CartItemRecord[] = [];
    for (const line of lines) {
      const fields = {
        reference: line.reference,
        name: line.name,
        type: line.type,
        quantity: line.quantity,
        quantityUnit: null,
        unitPrice: line.unitPrice,
        taxRate: line.taxRate,
        salesTaxRate: line.salesTaxRate,
        totalDiscountAmount: 0,
        imageUrl: line.imageUrl,
        productUrl: line.productUrl,
      };
      const existing = line.id === undefined ? undefined : items.find((item) => item.id === line.id);
      if (!existing) written.push(await this.carts.addItem(tx, cartId, fields, ++position));
      else if (sameItem(existing, fields)) written.push(existing);
      else written.push(await this.carts.updateItem(tx, existing.id, fields));
    }
    return written;
  }
}

/** A cart whose order is being placed, or is placed, cannot change. */
function assertChangeable(cart: CartRecord): void {
  if (cart.status === 'ordered') throw cartLocked(cart.id);
  if (cart.status === 'placing') {
    throw new ConflictError(
      'ORDER_IN_PROGRESS',
      `An order for cart ${cart.id} is being placed; the cart cannot change until Klarna's answer is known`,
    );
  }
}

function assertMarket(purchaseCountry: string, purchaseCurrency: string, locale: string): void {
  const problem = checkMarket(purchaseCountry, purchaseCurrency, locale);
  if (!problem) return;
  const field = MARKET_FIELDS[problem];
  const message =
    problem === 'purchase_country'
      ? 'is not a Klarna market'
      : problem === 'purchase_currency'
        ? `is not the currency Klarna accepts for ${purchaseCountry}`
        : `is not a locale Klarna accepts for ${purchaseCountry}`;
  throw new ValidationFailedError([{ field, message }]);
}

function marketOf(cart: CartRecord): Market {
  return { country: cart.purchaseCountry, currency: cart.purchaseCurrency, locale: cart.locale };
}

function wantedOf(item: CartItemRecord): WantedLine {
  return { id: item.id, reference: item.reference, quantity: item.quantity };
}

function previousPrices(items: CartItemRecord[]): Map<string, LinePrice> {
  return new Map(
    items.map((item) => [
      item.id,
      {
        name: item.name,
        type: item.type,
        unitPrice: item.unitPrice,
        taxRate: item.taxRate,
        salesTaxRate: item.salesTaxRate,
        imageUrl: item.imageUrl,
        productUrl: item.productUrl,
      },
    ]),
  );
}

function sameItem(item: CartItemRecord, fields: Omit<CartItemRecord, 'id' | 'position'>): boolean {
  return (Object.keys(fields) as (keyof typeof fields)[]).every((key) => item[key] === fields[key]);
}

function noticeOf(change: LineChange): CartNotice {
  switch (change.kind) {
    case 'removed':
      return { code: 'ITEM_REMOVED', itemId: change.itemId, reference: change.reference, reason: change.reason };
    case 'price_changed':
      return {
        code: 'PRICE_CHANGED',
        itemId: change.itemId,
        reference: change.reference,
        unitPriceBefore: change.before.unitPrice,
        unitPrice: change.after.unitPrice,
      };
    case 'quantity_limited':
      return {
        code: 'QUANTITY_LIMITED',
        itemId: change.itemId,
        reference: change.reference,
        quantityBefore: change.before,
        quantity: change.after,
      };
  }
}

function marketAndCustomerChanges(
  before: CartRecord,
  after: CartRecord,
): Partial<Pick<CartRecord, 'purchaseCountry' | 'purchaseCurrency' | 'locale'>> & { customer?: CustomerData } {
  return {
    ...(after.purchaseCountry !== before.purchaseCountry ? { purchaseCountry: after.purchaseCountry } : {}),
    ...(after.purchaseCurrency !== before.purchaseCurrency ? { purchaseCurrency: after.purchaseCurrency } : {}),
    ...(after.locale !== before.locale ? { locale: after.locale } : {}),
    ...(after.customer !== before.customer && after.customer ? { customer: after.customer } : {}),
  };
}

function findItem(items: CartItemRecord[], itemId: string): CartItemRecord {
  const item = items.find((candidate) => candidate.id === itemId);
  if (!item) throw new NotFoundError('ITEM_NOT_FOUND', `Item ${itemId} is not in this cart`);
  return item;
}

function definedFields<T extends object>(dto: T): Partial<T> {
  return Object.fromEntries(Object.entries(dto).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function cartNotFound(cartId: string): NotFoundError {
  return new NotFoundError('CART_NOT_FOUND', `Cart ${cartId} does not exist`);
}

function cartLocked(cartId: string): ConflictError {
  return new ConflictError('CART_LOCKED', `Cart ${cartId} is already ordered and can no longer change`);
}

/** The cart's Klarna lines: its items, then the sales-tax lines of a sales-tax market. */
function totalsOf(cart: CartRecord, items: CartItemRecord[]): OrderTotals {
  return computeOrder([...items, ...salesTaxLines(items)], cart.purchaseCountry);
}

function sessionCart(cart: CartRecord, totals: OrderTotals): SessionCart {
  return {
    id: cart.id,
    version: cart.version,
    purchaseCountry: cart.purchaseCountry,
    purchaseCurrency: cart.purchaseCurrency,
    locale: cart.locale,
    orderData: {
      purchaseCountry: cart.purchaseCountry,
      purchaseCurrency: cart.purchaseCurrency,
      locale: cart.locale,
      orderAmount: totals.orderAmount,
      orderTaxAmount: totals.orderTaxAmount,
      orderLines: totals.lines,
      billingAddress: cart.customer?.billingAddress,
      shippingAddress: cart.customer?.shippingAddress,
      customer: cart.customer?.customer,
    },
  };
}

function toView(
  cart: CartRecord,
  items: CartItemRecord[],
  totals: OrderTotals,
  klarna: KlarnaCartState | null,
  notices: CartNotice[],
): CartView {
  return {
    id: cart.id,
    status: cart.status,
    version: cart.version,
    purchaseCountry: cart.purchaseCountry,
    purchaseCurrency: cart.purchaseCurrency,
    locale: cart.locale,
    items: items.map((item, index) => {
      const { position: _position, ...fields } = item;
      return {
        ...fields,
        totalAmount: totals.lines[index].totalAmount,
        totalTaxAmount: totals.lines[index].totalTaxAmount,
      };
    }),
    orderLines: totals.lines,
    orderAmount: totals.orderAmount,
    orderTaxAmount: totals.orderTaxAmount,
    customer: cart.customer,
    klarna,
    notices,
  };
}
