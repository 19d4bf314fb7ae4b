import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { ConflictError, NotFoundError, ValidationFailedError } from '../common/errors.js';
import { PrismaService, transactionOptionsFor, type PrismaTransaction } from '../database/prisma.service.js';
import { checkMarket } from '../klarna/klarna-markets.js';
import { KlarnaSessionService } from '../klarna-session/klarna-session.service.js';
import type { KlarnaCartState, KlarnaSessionAnswer } from '../klarna-session/klarna-session.types.js';
import type { KlarnaSessionIntent } from '../klarna/klarna.types.js';
import type { SessionCart } from '../klarna-session/session-cart.js';
import { CartRepository } from './cart.repository.js';
import type { CartItemRecord, CartRecord, CartView, CustomerData } from './cart.types.js';
import type { AddCartItemDto, UpdateCartItemDto } from './dto/cart-item.dto.js';
import type { CreateCartDto, UpdateCartDto } from './dto/cart.dto.js';
import type { PutCustomerDto } from './dto/customer.dto.js';
import { checkLine, checkOrder, computeOrder, type CartLine, type OrderTotals } from './order-lines.js';

type ItemFields = Omit<CartItemRecord, 'id' | 'position'>;

/** A cart change: returns the cart and items after it, written inside the transaction. */
type Change = (
  tx: PrismaTransaction,
  cart: CartRecord,
  items: CartItemRecord[],
) => Promise<{ cart: CartRecord; items: CartItemRecord[] }>;

const MARKET_FIELDS = { purchase_country: 'purchaseCountry', purchase_currency: 'purchaseCurrency', locale: 'locale' };

/**
 * The storefront's cart. Every change runs in one transaction that takes the cart's row lock, writes the
 * change, checks Klarna's order-line rules and then pushes the cart to its Klarna session, if it has one.
 */
@Injectable()
export class CartService {
  private readonly transactionOptions: { timeout: number; maxWait: number };

  constructor(
    private readonly prisma: PrismaService,
    private readonly carts: CartRepository,
    private readonly klarnaSessions: KlarnaSessionService,
    config: AppConfig,
  ) {
    this.transactionOptions = transactionOptionsFor(config);
  }

  async createCart(dto: CreateCartDto): Promise<CartView> {
    assertMarket(dto.purchaseCountry, dto.purchaseCurrency, dto.locale);
    const cart = await this.carts.create(this.prisma, dto);
    return toView(cart, [], computeOrder([], cart.purchaseCountry), null);
  }

  async getCart(cartId: string): Promise<CartView> {
    const cart = await this.carts.find(this.prisma, cartId);
    if (!cart) throw cartNotFound(cartId);
    const items = await this.carts.items(this.prisma, cartId);
    const klarna = await this.klarnaSessions.currentState(this.prisma, cart);
    return toView(cart, items, computeOrder(items, cart.purchaseCountry), klarna);
  }

  updateCart(cartId: string, dto: UpdateCartDto): Promise<CartView> {
    return this.change(cartId, async (tx, cart, items) => {
      const changed = { ...cart, ...definedFields(dto) };
      assertMarket(changed.purchaseCountry, changed.purchaseCurrency, changed.locale);
      await this.carts.updateCart(tx, cartId, definedFields(dto));
      return { cart: changed, items };
    });
  }

  addItem(cartId: string, dto: AddCartItemDto): Promise<CartView> {
    return this.change(cartId, async (tx, cart, items) => {
      const fields = itemFields(dto);
      assertLine(fields, cart.purchaseCountry);
      const position = items.reduce((max, item) => Math.max(max, item.position), 0) + 1;
      const added = await this.carts.addItem(tx, cartId, fields, position);
      return { cart, items: [...items, added] };
    });
  }

  updateItem(cartId: string, itemId: string, dto: UpdateCartItemDto): Promise<CartView> {
    return this.change(cartId, async (tx, cart, items) => {
      const existing = findItem(items, itemId);
      const fields = { ...itemFieldsOf(existing), ...itemFields(dto, existing) };
      assertLine(fields, cart.purchaseCountry);
      const updated = await this.carts.updateItem(tx, itemId, fields);
      return { cart, items: items.map((item) => (item.id === itemId ? updated : item)) };
    });
  }

  removeItem(cartId: string, itemId: string): Promise<CartView> {
    return this.change(cartId, async (tx, cart, items) => {
      findItem(items, itemId);
      await this.carts.removeItem(tx, itemId);
      return { cart, items: items.filter((item) => item.id !== itemId) };
    });
  }

  setCustomer(cartId: string, dto: PutCustomerDto): Promise<CartView> {
    return this.change(cartId, async (tx, cart, items) => {
      const customer = JSON.parse(JSON.stringify(dto)) as CustomerData;
      await this.carts.updateCart(tx, cartId, { customer });
      return { cart: { ...cart, customer }, items };
    });
  }

  /** POST /carts/:id/klarna-session. */
  async openKlarnaSession(
    cartId: string,
    intent: KlarnaSessionIntent = 'buy',
  ): Promise<{ created: boolean; session: KlarnaSessionAnswer }> {
    const opened = await this.prisma.$transaction(async (tx) => {
      const { cart, sessionCart } = await this.lockForCheckout(tx, cartId);
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
    return { cart, sessionCart: sessionCart(cart, computeOrder(items, cart.purchaseCountry)) };
  }

  private async change(cartId: string, apply: Change): Promise<CartView> {
    const view = await this.prisma.$transaction(async (tx) => {
      const locked = await this.carts.lockForChange(tx, cartId);
      if (!locked) throw cartNotFound(cartId);
      assertChangeable(locked);
      const { cart, items } = await apply(tx, locked, await this.carts.items(tx, cartId));
      const totals = computeOrder(items, cart.purchaseCountry);
      const errors = checkOrder(totals);
      if (errors.length > 0) throw new ValidationFailedError(errors);
      const klarna = await this.klarnaSessions.syncCart(tx, sessionCart(cart, totals));
      return toView(cart, items, totals, klarna);
    }, this.transactionOptions);
    // Authorizations this change made stale (or expired, with a new session) are released at Klarna.
    if (view.klarna && ((view.klarna.action !== 'load' && view.klarna.action !== 'none') || view.klarna.syncError)) {
      await this.klarnaSessions.scheduleRelease(cartId);
    }
    return view;
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

function assertLine(line: CartLine, purchaseCountry: string): void {
  const errors = checkLine(line, purchaseCountry);
  if (errors.length > 0) throw new ValidationFailedError(errors);
}

function findItem(items: CartItemRecord[], itemId: string): CartItemRecord {
  const item = items.find((candidate) => candidate.id === itemId);
  if (!item) throw new NotFoundError('ITEM_NOT_FOUND', `Item ${itemId} is not in this cart`);
  return item;
}

function itemFieldsOf(item: CartItemRecord): ItemFields {
  const { id: _id, position: _position, ...fields } = item;
  return fields;
}

function itemFields(dto: UpdateCartItemDto, base?: CartItemRecord): ItemFields {
  return {
    reference: dto.reference ?? base?.reference ?? '',
    name: dto.name ?? base?.name ?? '',
    type: dto.type ?? base?.type ?? 'physical',
    quantity: dto.quantity ?? base?.quantity ?? 1,
    quantityUnit: dto.quantityUnit ?? base?.quantityUnit ?? null,
    unitPrice: dto.unitPrice ?? base?.unitPrice ?? 0,
    taxRate: dto.taxRate ?? base?.taxRate ?? 0,
    totalDiscountAmount: dto.totalDiscountAmount ?? base?.totalDiscountAmount ?? 0,
    imageUrl: dto.imageUrl ?? base?.imageUrl ?? null,
    productUrl: dto.productUrl ?? base?.productUrl ?? null,
  };
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
): CartView {
  return {
    id: cart.id,
    status: cart.status,
    version: cart.version,
    purchaseCountry: cart.purchaseCountry,
    purchaseCurrency: cart.purchaseCurrency,
    locale: cart.locale,
    items: items.map((item, index) => ({
      ...itemFieldsOf(item),
      id: item.id,
      totalAmount: totals.lines[index].totalAmount,
      totalTaxAmount: totals.lines[index].totalTaxAmount,
    })),
    orderAmount: totals.orderAmount,
    orderTaxAmount: totals.orderTaxAmount,
    customer: cart.customer,
    klarna,
  };
}
