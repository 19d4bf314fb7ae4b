import { Injectable } from '@nestjs/common';
import { uuidV7 } from '../common/uuid.js';
import { AppConfig } from '../config/app-config.js';
import { CartQueue } from './cart-queue.js';
import {
  ConflictError,
  DiscountCodeInvalidError,
  NotFoundError,
  UnprocessableError,
  ValidationFailedError,
} from '../common/errors.js';
import { Catalog } from '../catalog/catalog.js';
import type { Market, PricedItems } from '../catalog/catalog.types.js';
import { PrismaService, transactionOptionsFor, type PrismaTransaction } from '../database/prisma.service.js';
import { DiscountService } from '../discount/discount.service.js';
import { codeKey, refusalOf } from '../discount/discount-rules.js';
import { checkMarket, SALES_TAX_MARKETS } from '../klarna/klarna-markets.js';
import { ShippingService } from '../shipping/shipping.service.js';
import type { ShippingOption } from '../shipping/shipping-rules.js';
import type { KlarnaAddress, KlarnaSessionIntent } from '../klarna/klarna.types.js';
import { KlarnaSessionService } from '../klarna-session/klarna-session.service.js';
import type { KlarnaCartState, KlarnaSessionAnswer } from '../klarna-session/klarna-session.types.js';
import type { SessionCart } from '../klarna-session/session-cart.js';
import { currentCartState, settledState } from '../klarna-session/klarna-cart-state.js';
import { pricedItemsOf } from '../catalog/postgres-catalog.js';
import { priceShipping } from '../shipping/shipping-rules.js';
import type { Db } from '../database/sql.js';
import type pg from 'pg';
import { priceLines, salesTaxLines, type LineChange, type LinePrice, type WantedLine } from './cart-pricing.js';
import { CartRepository, type CheckoutChoice } from './cart.repository.js';
import {
  inCartChange,
  lockCart,
  readCart,
  readForChange,
  writeCartChange,
  type ChangeHints,
  type ChangeSnapshot,
} from './cart-store.js';
import { discountLines, itemsAmount, shippingFeeLine, type AddedLine } from './checkout-lines.js';
import type { CartItemRecord, CartNotice, CartRecord, CartView, CustomerData } from './cart.types.js';
import type { AddCartItemDto, UpdateCartItemDto } from './dto/cart-item.dto.js';
import type { CreateCartDto, UpdateCartDto } from './dto/cart.dto.js';
import type { PutCustomerDto } from './dto/customer.dto.js';
import { checkOrder, computeOrder, type CartLine, type OrderTotals } from './order-lines.js';

/** What a change wants the cart to be: its record (market, customer) and its lines by reference and quantity. */
interface Wanted {
  cart: CartRecord;
  lines: WantedLine[];
  /** The reference the request named: it must be sold (422), and its quantity within its limit (400). */
  requested?: string;
  /** The request chose the shipping method (it must be available: 422) or the discount code (it must apply: 422). */
  chose?: 'shipping' | 'discount';
}

type Change = (cart: CartRecord, items: CartItemRecord[]) => Wanted;

/**
 * The cart under its row lock, with its Klarna order content and the read it came from: a placement re-prices from
 * that same read instead of locking and reading again within its transaction.
 */
export interface LockedCheckout {
  cart: CartRecord;
  sessionCart: SessionCart;
  read: ChangeSnapshot;
}

/**
 * What the change's one read already holds: the shipping method and discount code it found, and the market it
 * priced them in. Anything else (not found, another market) is read again: a miss costs a statement, never a guess.
 */
interface PreRead extends Pick<ChangeSnapshot, 'shippingMethod' | 'discountCode'> {
  market: string;
}

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
    private readonly shipping: ShippingService,
    private readonly discounts: DiscountService,
    private readonly config: AppConfig,
    private readonly queue: CartQueue,
  ) {
    this.transactionOptions = transactionOptionsFor(config);
  }

  async createCart(dto: CreateCartDto): Promise<CartView> {
    assertMarket(dto.purchaseCountry, dto.purchaseCurrency, dto.locale);
    const cart = await this.carts.create(this.prisma.pool, dto);
    return toView(cart, [], totalsOf(cart, []), null, []);
  }

  /** The shipping address the shopper gave (for the merchant's warehouse, when the operator turned that on). */
  async shippingAddressOf(cartId: string): Promise<KlarnaAddress | null> {
    return (await this.carts.find(this.prisma, cartId))?.customer?.shippingAddress ?? null;
  }

  /** One statement (src/cart/cart-store.ts). */
  async getCart(cartId: string): Promise<CartView> {
    const read = await readCart(this.prisma.pool, cartId);
    if (!read) throw cartNotFound(cartId);
    const { cart, items, session, latestAuthorizationStatus } = read;
    const klarna = session && currentCartState(session, cart.version, latestAuthorizationStatus, new Date());
    return toView(cart, items, totalsOf(cart, items), klarna, []);
  }

  /** A market change prices every line in the new market; lines it does not sell go, with a notice. */
  updateCart(cartId: string, dto: UpdateCartDto): Promise<CartView> {
    return this.change(cartId, {}, (cart, items) => {
      const changed = { ...cart, ...definedFields(dto) };
      assertMarket(changed.purchaseCountry, changed.purchaseCurrency, changed.locale);
      return { cart: changed, lines: items.map(wantedOf) };
    });
  }

  /** A reference already in the cart adds to that line. */
  addItem(cartId: string, dto: AddCartItemDto): Promise<CartView> {
    return this.change(cartId, { references: [dto.reference] }, (cart, items) => {
      const lines = items.map(wantedOf);
      const existing = lines.find((line) => line.reference === dto.reference);
      if (existing) existing.quantity += dto.quantity;
      else lines.push({ reference: dto.reference, quantity: dto.quantity });
      return { cart, lines, requested: dto.reference };
    });
  }

  updateItem(cartId: string, itemId: string, dto: UpdateCartItemDto): Promise<CartView> {
    return this.change(cartId, {}, (cart, items) => {
      const item = findItem(items, itemId);
      const lines = items.map((line) =>
        line.id === itemId ? { ...wantedOf(line), quantity: dto.quantity } : wantedOf(line),
      );
      return { cart, lines, requested: item.reference };
    });
  }

  removeItem(cartId: string, itemId: string): Promise<CartView> {
    return this.change(cartId, {}, (cart, items) => {
      findItem(items, itemId);
      return { cart, lines: items.filter((item) => item.id !== itemId).map(wantedOf) };
    });
  }

  setCustomer(cartId: string, dto: PutCustomerDto): Promise<CartView> {
    return this.change(cartId, {}, (cart, items) => {
      const customer = JSON.parse(JSON.stringify(dto)) as CustomerData;
      return { cart: { ...cart, customer }, lines: items.map(wantedOf) };
    });
  }

  /** GET /carts/:id/shipping-options: the methods the cart's market offers, priced for this cart. */
  async shippingOptions(
    cartId: string,
  ): Promise<{ selected: string | null; options: (ShippingOption & { selected: boolean })[] }> {
    const cart = await this.carts.find(this.prisma, cartId);
    if (!cart) throw cartNotFound(cartId);
    const items = await this.carts.items(this.prisma, cartId);
    const options = await this.shipping.optionsFor(
      this.prisma,
      { country: cart.purchaseCountry, currency: cart.purchaseCurrency },
      itemsAmount(items),
    );
    return {
      selected: cart.shippingMethodId,
      options: options.map((option) => ({ ...option, selected: option.methodId === cart.shippingMethodId })),
    };
  }

  /** PUT /carts/:id/shipping: one method per cart; a method the market does not offer is 422. */
  selectShipping(cartId: string, methodId: string): Promise<CartView> {
    return this.change(cartId, { shippingMethodId: methodId }, (cart, items) => ({
      cart: { ...cart, shippingMethodId: methodId },
      lines: items.map(wantedOf),
      chose: 'shipping',
    }));
  }

  /**
   * POST /carts/:id/discount-codes: one code per cart (a second replaces the first). A code that does not apply
   * is 422 DISCOUNT_CODE_INVALID with nothing written, and counts as a failed attempt of this cart.
   */
  async applyDiscountCode(cartId: string, code: string): Promise<CartView> {
    this.discounts.assertAttemptsLeft(cartId);
    try {
      return await this.change(cartId, { discountCodeKey: codeKey(code) }, (cart, items) => ({
        cart: { ...cart, discountCode: code },
        lines: items.map(wantedOf),
        chose: 'discount',
      }));
    } catch (error) {
      if (error instanceof DiscountCodeInvalidError) this.discounts.recordFailedAttempt(cartId);
      throw error;
    }
  }

  /** DELETE /carts/:id/discount-codes/:code: removing a code the cart does not carry changes nothing. */
  removeDiscountCode(cartId: string, code: string): Promise<CartView> {
    return this.change(cartId, {}, (cart, items) => ({
      cart:
        cart.discountCode !== null && codeKey(cart.discountCode) === codeKey(code)
          ? { ...cart, discountCode: null, discountLines: [] }
          : cart,
      lines: items.map(wantedOf),
    }));
  }

  /** POST /carts/:id/klarna-session: the cart is priced again first, so the session starts at today's prices. */
  async openKlarnaSession(
    cartId: string,
    intent: KlarnaSessionIntent = 'buy',
  ): Promise<{ created: boolean; session: KlarnaSessionAnswer }> {
    return this.queue.run(cartId, () => this.openKlarnaSessionNow(cartId, intent));
  }

  private async openKlarnaSessionNow(
    cartId: string,
    intent: KlarnaSessionIntent,
  ): Promise<{ created: boolean; session: KlarnaSessionAnswer }> {
    const prefetched = await this.prefetch(cartId);
    const opened = await this.inCheckout(cartId, async (db) => {
      const read = await this.readUnderLock(db, cartId);
      if (!read) throw cartNotFound(cartId);
      const { cart, sessionCart, changes } = await this.repricedUnderLock(db, cartId, prefetched, read);
      assertChangeable(cart);
      // A re-priced cart was pushed, which may have written or replaced the session; else the locked read holds.
      const lockedSession = changes.length === 0 ? read.session : undefined;
      const result = await this.klarnaSessions.openSession(db, sessionCart, intent, lockedSession);
      if (cart.status === 'open') await this.carts.setStatus(db, cartId, 'checkout');
      return result;
    });
    // A new session expires the authorizations of the one it replaced: Klarna should release them.
    if (opened.replaced) await this.klarnaSessions.scheduleRelease(cartId);
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
  async lockForCheckout(tx: PrismaTransaction, cartId: string): Promise<LockedCheckout> {
    const locked = await this.lockedSnapshot(tx, cartId);
    if (!locked) throw cartNotFound(cartId);
    return locked;
  }

  /** As lockForCheckout, in a transaction that took the cart's row lock with its BEGIN (inCheckout). */
  async readLockedCheckout(db: Db, cartId: string): Promise<LockedCheckout> {
    const read = await this.readUnderLock(db, cartId);
    if (!read) throw cartNotFound(cartId);
    return lockedCheckoutOf(read);
  }

  /**
   * Runs `run` in a transaction on a pooled connection whose BEGIN also takes the cart's row lock (one round trip;
   * the order placement's first phase, Klarna's authorization callback). No such cart: CART_NOT_FOUND.
   */
  inCheckout<T>(cartId: string, run: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    return inCartChange(this.prisma.pool, cartId, (db, found) => {
      if (!found) throw cartNotFound(cartId);
      return run(db);
    });
  }

  /**
   * Just before an order is placed, inside its transaction: the cart's lines priced again at the catalog's word.
   * When anything moved (a price, a product no longer sold), the cart is re-priced, pushed to Klarna (the
   * authorization goes stale) and the changes are returned: the order must not be placed at the old price.
   */
  async repriceForCheckout(
    tx: Db,
    locked: LockedCheckout,
  ): Promise<{ cart: CartRecord; sessionCart: SessionCart; changes: CartNotice[] }> {
    return this.repricedUnderLock(tx, locked.cart.id, undefined, locked.read);
  }

  /**
   * The order module found the cart's code used up while placing (the last use was taken meanwhile): inside its
   * transaction, the cart loses the code, is re-priced without it and pushed to Klarna; the shopper reauthorizes.
   */
  async dropDiscountCode(tx: Db, cartId: string): Promise<CartNotice[]> {
    const read = await this.lockedRead(tx, cartId);
    const locked = read?.cart;
    if (!read || !locked?.discountCode) return [];
    const { items } = read;
    const choice = await this.priceChoice(tx, { ...locked, discountCode: null }, items, undefined, preReadOf(read));
    const cart = { ...locked, ...choice.choice, version: locked.version + 1 };
    await writeCartChange(tx, {
      cartId,
      removedItemIds: [],
      writtenItems: [],
      cart,
      session: undefined,
      hasAuthorizations: read.latestAuthorizationStatus !== null,
    });
    await this.klarnaSessions.syncCart(tx, sessionCart(cart, totalsOf(cart, items)));
    return [
      { code: 'DISCOUNT_CODE_REMOVED', discountCode: locked.discountCode, reason: 'exhausted' },
      ...choice.removed,
    ];
  }

  /** Klarna refused the order: the shopper may change the cart and authorize again. */
  async endFailedPlacement(tx: PrismaTransaction, cartId: string): Promise<void> {
    await this.carts.setStatus(tx, cartId, 'checkout');
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
  private async lockedSnapshot(tx: PrismaTransaction, cartId: string): Promise<LockedCheckout | null> {
    const read = await this.lockedRead(tx, cartId);
    return read && lockedCheckoutOf(read);
  }

  /** The cart's row lock, then everything it is priced from in one statement (src/cart/cart-store.ts). */
  private async lockedRead(tx: Db, cartId: string): Promise<ChangeSnapshot | null> {
    if (!(await lockCart(tx, cartId))) return null;
    return this.readUnderLock(tx, cartId);
  }

  private readUnderLock(tx: Db, cartId: string): Promise<ChangeSnapshot | null> {
    return readForChange(tx, cartId, {
      references: [],
      catalogInDatabase: this.catalog.source !== 'http',
      shippingMethodId: null,
      discountCodeKey: null,
    });
  }

  /**
   * Locks the cart and prices its lines, shipping fee and discount again; a difference is written (and counted in
   * the version) and pushed.
   */
  private async repricedUnderLock(
    tx: Db,
    cartId: string,
    prefetched?: PricedItems,
    alreadyLocked?: ChangeSnapshot,
  ): Promise<{ cart: CartRecord; sessionCart: SessionCart; changes: CartNotice[] }> {
    const read = alreadyLocked ?? (await this.lockedRead(tx, cartId));
    if (!read) throw cartNotFound(cartId);
    const { cart: locked, items } = read;
    const unchanged = { cart: locked, sessionCart: sessionCart(locked, totalsOf(locked, items)), changes: [] };
    if (locked.status === 'ordered' || locked.status === 'placing') return unchanged;
    let plan: ReturnType<typeof planLines> = { items, removedItemIds: [], writtenItems: [] };
    let lineChanges: LineChange[] = [];
    if (items.length > 0) {
      const priced = await this.price(
        tx,
        locked,
        items.map((item) => item.reference),
        prefetched ?? (read.prices ? pricedItemsOf(read.prices, marketOf(locked)) : undefined),
      );
      const { lines, changes } = priceLines(
        items.map(wantedOf),
        priced,
        marketOf(locked),
        this.config.maxLineQuantity,
        previousPrices(items),
      );
      if (changes.length > 0) {
        plan = planLines(items, lines);
        lineChanges = changes;
      }
    }
    const { choice, removed } = await this.priceChoice(tx, locked, plan.items, undefined, preReadOf(read));
    const choiceChanges = [...removed, ...choiceChangesOf(locked, choice)];
    if (lineChanges.length === 0 && choiceChanges.length === 0) return unchanged;
    const cart = { ...locked, ...choice, version: locked.version + 1 };
    const { removedItemIds, writtenItems } = plan;
    await writeCartChange(tx, {
      cartId,
      removedItemIds,
      writtenItems,
      cart,
      session: undefined,
      hasAuthorizations: read.latestAuthorizationStatus !== null,
    });
    const totals = totalsOf(cart, plan.items);
    await this.klarnaSessions.syncCart(tx, sessionCart(cart, totals));
    return { cart, sessionCart: sessionCart(cart, totals), changes: [...lineChanges.map(noticeOf), ...choiceChanges] };
  }

  /**
   * Prices the cart's shipping method and discount code for its market and lines. One that no longer applies is
   * dropped with a notice, unless the request chose it: then 422, and nothing is written.
   */
  private async priceChoice(
    tx: Db,
    cart: CartRecord,
    items: CartItemRecord[],
    chose?: Wanted['chose'],
    preRead?: PreRead,
  ): Promise<{ choice: CheckoutChoice; removed: CartNotice[] }> {
    const { purchaseCountry: country, purchaseCurrency: currency } = cart;
    const salesTaxModel = SALES_TAX_MARKETS.has(country);
    const amount = itemsAmount(items);
    const removed: CartNotice[] = [];
    let shippingMethodId = cart.shippingMethodId;
    let shippingLine: AddedLine | null = null;
    if (shippingMethodId !== null) {
      const option =
        preRead?.market === `${country}/${currency}` && preRead.shippingMethod?.method.id === shippingMethodId
          ? priceShipping(preRead.shippingMethod.method, { country, currency }, amount, preRead.shippingMethod.rate)
          : await this.shipping.optionFor(tx, shippingMethodId, { country, currency }, amount);
      if (option) {
        shippingLine = shippingFeeLine(option, salesTaxModel);
      } else if (chose === 'shipping') {
        throw new UnprocessableError(
          'SHIPPING_METHOD_UNAVAILABLE',
          `Shipping method ${shippingMethodId} is not available for ${country} / ${currency}`,
        );
      } else {
        removed.push({ code: 'SHIPPING_METHOD_REMOVED', methodId: shippingMethodId, reason: 'unavailable' });
        shippingMethodId = null;
      }
    }
    let discountCode = cart.discountCode;
    let lines: AddedLine[] = [];
    if (discountCode !== null) {
      const code =
        preRead?.discountCode && codeKey(preRead.discountCode.code) === codeKey(discountCode)
          ? preRead.discountCode
          : await this.discounts.find(tx, discountCode);
      const refusal = refusalOf(code, { currency, itemsAmount: amount }, new Date());
      if (code && refusal === undefined) {
        discountCode = code.code;
        lines = discountLines(code, currency, items, shippingLine, salesTaxModel);
      } else if (chose === 'discount') {
        throw new DiscountCodeInvalidError(refusal ?? 'unknown');
      } else {
        removed.push({ code: 'DISCOUNT_CODE_REMOVED', discountCode, reason: refusal ?? 'unknown' });
        discountCode = null;
      }
    }
    return { choice: { shippingMethodId, shippingLine, discountCode, discountLines: lines }, removed };
  }

  private change(cartId: string, hints: Partial<ChangeHints>, apply: Change): Promise<CartView> {
    return this.queue.run(cartId, () => this.changeNow(cartId, hints, apply));
  }

  /**
   * One transaction of at most four round trips (src/cart/cart-store.ts): lock, read, Klarna push, write. A change
   * that changes nothing writes nothing: the version stays and Klarna is not called.
   */
  private async changeNow(cartId: string, hints: Partial<ChangeHints>, apply: Change): Promise<CartView> {
    const prefetched = await this.prefetch(cartId);
    const view = await inCartChange(this.prisma.pool, cartId, async (client) => {
      const snapshot = await readForChange(client, cartId, {
        references: hints.references ?? [],
        catalogInDatabase: this.catalog.source !== 'http',
        shippingMethodId: hints.shippingMethodId ?? null,
        discountCodeKey: hints.discountCodeKey ?? null,
      });
      if (!snapshot) throw cartNotFound(cartId);
      const { cart: locked, items } = snapshot;
      assertChangeable(locked);
      const wanted = apply(locked, items);
      const market = marketOf(wanted.cart);
      const priced = await this.price(
        client,
        wanted.cart,
        wanted.lines.map((line) => line.reference),
        prefetched ??
          (snapshot.prices && sameMarket(market, marketOf(locked))
            ? pricedItemsOf(snapshot.prices, market)
            : undefined),
      );
      const { lines, changes } = priceLines(
        wanted.lines,
        priced,
        market,
        this.config.maxLineQuantity,
        previousPrices(items),
        wanted.requested,
      );
      const plan = planLines(items, lines);
      const { choice, removed } = await this.priceChoice(
        client,
        wanted.cart,
        plan.items,
        wanted.chose,
        preReadOf(snapshot),
      );
      const cartChanged =
        plan.removedItemIds.length > 0 ||
        plan.writtenItems.length > 0 ||
        wanted.cart !== locked ||
        !sameChoice(locked, choice);
      const cart = { ...wanted.cart, ...choice, version: cartChanged ? locked.version + 1 : locked.version };
      const totals = totalsOf(cart, plan.items);
      const errors = checkOrder(totals);
      if (errors.length > 0) throw new ValidationFailedError(errors);
      const pushed = await this.klarnaSessions.pushCart(client, snapshot.session, sessionCart(cart, totals));
      const klarna =
        cartChanged || pushed.write
          ? settledState(
              pushed,
              await writeCartChange(client, {
                cartId,
                removedItemIds: plan.removedItemIds,
                writtenItems: plan.writtenItems,
                cart: cartChanged ? cart : null,
                session: pushed.write,
                hasAuthorizations: snapshot.latestAuthorizationStatus !== null,
              }),
            )
          : pushed.state;
      return toView(cart, plan.items, totals, klarna, [...changes.map(noticeOf), ...removed]);
    });
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
    tx: Db,
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

function preReadOf(snapshot: ChangeSnapshot): PreRead {
  const { cart } = snapshot;
  return {
    market: `${cart.purchaseCountry}/${cart.purchaseCurrency}`,
    shippingMethod: snapshot.shippingMethod,
    discountCode: snapshot.discountCode,
  };
}

function sameMarket(a: Market, b: Market): boolean {
  return a.country === b.country && a.currency === b.currency && a.locale === b.locale;
}

/**
 * The cart's items after its priced lines, and what to write for that: items no longer among the lines go, new lines
 * get an id and the next position, lines whose fields moved are written whole.
 */
export function planLines(
  items: CartItemRecord[],
  lines: ReturnType<typeof priceLines>['lines'],
): { items: CartItemRecord[]; removedItemIds: string[]; writtenItems: CartItemRecord[] } {
  const kept = new Set(lines.map((line) => line.id).filter((id): id is string => id !== undefined));
  let position = items.reduce((max, item) => Math.max(max, item.position), 0);
  const after: CartItemRecord[] = [];
  const writtenItems: CartItemRecord[] = [];
  for (const line of lines) {
    const fields = itemFieldsOf(line);
    const existing = line.id === undefined ? undefined : items.find((item) => item.id === line.id);
    if (existing && sameItem(existing, fields)) {
      after.push(existing);
      continue;
    }
    const item = existing ? { ...existing, ...fields } : { id: uuidV7(), ...fields, position: ++position };
    after.push(item);
    writtenItems.push(item);
  }
  return {
    items: after,
    removedItemIds: items.filter((item) => !kept.has(item.id)).map((item) => item.id),
    writtenItems,
  };
}

function itemFieldsOf(line: ReturnType<typeof priceLines>['lines'][number]): Omit<CartItemRecord, 'id' | 'position'> {
  return {
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

function findItem(items: CartItemRecord[], itemId: string): CartItemRecord {
  const item = items.find((candidate) => candidate.id === itemId);
  if (!item) throw new NotFoundError('ITEM_NOT_FOUND', `Item ${itemId} is not in this cart`);
  return item;
}

function definedFields<T extends object>(dto: T): Partial<T> {
  return Object.fromEntries(Object.entries(dto).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function lockedCheckoutOf(read: ChangeSnapshot): LockedCheckout {
  return { cart: read.cart, sessionCart: sessionCart(read.cart, totalsOf(read.cart, read.items)), read };
}

function cartNotFound(cartId: string): NotFoundError {
  return new NotFoundError('CART_NOT_FOUND', `Cart ${cartId} does not exist`);
}

function cartLocked(cartId: string): ConflictError {
  return new ConflictError('CART_LOCKED', `Cart ${cartId} is already ordered and can no longer change`);
}

/** The cart's Klarna lines: its items, the shipping fee, the discount, then the sales-tax lines (US). */
function totalsOf(cart: CartRecord, items: CartItemRecord[]): OrderTotals {
  const lines: CartLine[] = items.concat();
  if (cart.shippingLine) lines.push(cart.shippingLine);
  lines.push(...cart.discountLines);
  lines.push(...salesTaxLines(lines));
  return computeOrder(lines, cart.purchaseCountry);
}

function sameChoice(cart: CheckoutChoice, choice: CheckoutChoice): boolean {
  return (
    cart.shippingMethodId === choice.shippingMethodId &&
    cart.discountCode === choice.discountCode &&
    sameLines(cart.shippingLine ? [cart.shippingLine] : [], choice.shippingLine ? [choice.shippingLine] : []) &&
    sameLines(cart.discountLines, choice.discountLines)
  );
}

const ADDED_LINE_FIELDS: readonly (keyof AddedLine)[] = [
  'type',
  'reference',
  'name',
  'quantity',
  'unitPrice',
  'taxRate',
  'salesTaxRate',
  'totalDiscountAmount',
];

/** Field by field: the stored lines come back from JSONB with their keys in another order. */
function sameLines(a: readonly AddedLine[], b: readonly AddedLine[]): boolean {
  return (
    a.length === b.length &&
    a.every((line, index) => ADDED_LINE_FIELDS.every((field) => (line[field] ?? null) === (b[index][field] ?? null)))
  );
}

const totalOf = (lines: readonly AddedLine[]) => lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);

/** What moved in a kept shipping method or discount code since the shopper last saw the cart. */
function choiceChangesOf(before: CheckoutChoice, after: CheckoutChoice): CartNotice[] {
  const changes: CartNotice[] = [];
  if (
    before.shippingLine &&
    after.shippingLine &&
    after.shippingMethodId !== null &&
    !sameLines([before.shippingLine], [after.shippingLine])
  ) {
    changes.push({
      code: 'SHIPPING_FEE_CHANGED',
      methodId: after.shippingMethodId,
      amountBefore: before.shippingLine.unitPrice,
      amount: after.shippingLine.unitPrice,
    });
  }
  if (
    before.discountCode !== null &&
    after.discountCode !== null &&
    !sameLines(before.discountLines, after.discountLines)
  ) {
    changes.push({
      code: 'DISCOUNT_CHANGED',
      discountCode: after.discountCode,
      amountBefore: -totalOf(before.discountLines),
      amount: -totalOf(after.discountLines),
    });
  }
  return changes;
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
    shipping: cart.shippingLine
      ? {
          methodId: cart.shippingLine.reference,
          name: cart.shippingLine.name,
          amount: cart.shippingLine.unitPrice,
          taxRate: cart.shippingLine.salesTaxRate ?? cart.shippingLine.taxRate,
        }
      : null,
    discount: cart.discountCode ? { code: cart.discountCode, amount: -totalOf(cart.discountLines) } : null,
    // Field by field rather than a rest pattern without `position`: that copies through a slow generic path.
    items: items.map((item, index) => ({
      id: item.id,
      reference: item.reference,
      name: item.name,
      type: item.type,
      quantity: item.quantity,
      quantityUnit: item.quantityUnit,
      unitPrice: item.unitPrice,
      taxRate: item.taxRate,
      salesTaxRate: item.salesTaxRate,
      totalDiscountAmount: item.totalDiscountAmount,
      imageUrl: item.imageUrl,
      productUrl: item.productUrl,
      totalAmount: totals.lines[index].totalAmount,
      totalTaxAmount: totals.lines[index].totalTaxAmount,
    })),
    orderLines: totals.lines,
    orderAmount: totals.orderAmount,
    orderTaxAmount: totals.orderTaxAmount,
    customer: cart.customer,
    klarna,
    notices,
  };
}
