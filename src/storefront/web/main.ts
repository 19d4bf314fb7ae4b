/**
 * The demo storefront: a cart, Klarna's widget and an order, following the rules the README gives a storefront.
 * After every cart answer the page does what `klarna.action` says: `load` -> Klarna.Payments.load(), `init` ->
 * init() with the new client token, then load(), `reauthorize` -> the next approval is reauthorize(). The order
 * is placed by handing the authorization token to the service, never from the browser to Klarna.
 */
import {
  api,
  ApiFailure,
  watchExchanges,
  type Cart,
  type Placement,
  type Product,
  type StorefrontConfig,
} from './api.js';

type Market = StorefrontConfig['markets'][number];

const CART_KEY = 'demo-storefront.cartId';
const PAYMENT_METHOD_CATEGORY = 'klarna';
const CONTAINER = '#klarna-payments-container';

const state: {
  config?: StorefrontConfig;
  market?: Market;
  cart?: Cart;
  /** The client token the widget was initialised with (a new one means init again). */
  clientToken?: string;
  needsReauthorize: boolean;
  hasShipping: boolean;
  hasDiscounts: boolean;
  busy: boolean;
} = { needsReauthorize: false, hasShipping: false, hasDiscounts: false, busy: false };

const $ = <T extends HTMLElement = HTMLElement>(selector: string): T => {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`missing ${selector}`);
  return found;
};

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** Amounts are integers of minor units; the currency says how many digits are minor. */
function money(amount: number, currency: string): string {
  const format = new Intl.NumberFormat(state.market?.locale ?? 'en-GB', { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
}

function logWidget(entry: string): void {
  $('#widget-log').append(element('li', {}, entry));
}

function setStatus(text: string, error = false): void {
  const status = $('#payment-status');
  status.textContent = text;
  status.classList.toggle('error', error);
}

function describeFailure(error: unknown): string {
  if (error instanceof ApiFailure) {
    const fields = error.body.errors?.map((entry) => `${entry.field}: ${entry.message}`).join('; ');
    return `${error.status} ${error.body.code}: ${fields || error.body.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

watchExchanges((exchange) => {
  $('#last-request').textContent = `${exchange.method} ${exchange.path.split('?')[0]} → ${exchange.status}`;
  const body = exchange.body as Partial<Cart> | undefined;
  if (body && typeof body === 'object' && 'klarna' in body && 'items' in body) {
    const klarna = body.klarna;
    $('#last-action').textContent = klarna ? klarna.action : 'no session';
    $('#last-in-sync').textContent = klarna ? String(klarna.inSync) : '–';
    $('#last-sync-error').textContent = klarna?.syncError ? JSON.stringify(klarna.syncError) : 'null';
  }
});

// ---- Klarna's SDK ----------------------------------------------------------------------------------------

function loadKlarnaSdk(url: string): Promise<KlarnaPaymentsApi> {
  return new Promise((resolve, reject) => {
    if (window.Klarna) {
      resolve(window.Klarna.Payments);
      return;
    }
    window.klarnaAsyncCallback = () => {
      if (window.Klarna) resolve(window.Klarna.Payments);
    };
    const script = element('script', { src: url, async: '' });
    script.addEventListener('error', () => reject(new Error(`Klarna's SDK did not load from ${url}`)));
    document.head.append(script);
  });
}

let klarnaReady: Promise<KlarnaPaymentsApi> | undefined;

async function klarnaInit(clientToken: string, sessionId: string): Promise<void> {
  const klarna = await klarnaReady!;
  klarna.init({ client_token: clientToken });
  state.clientToken = clientToken;
  logWidget(`init (session ${sessionId})`);
}

async function klarnaLoad(): Promise<void> {
  const klarna = await klarnaReady!;
  await new Promise<void>((resolve) => {
    klarna.load({ container: CONTAINER, payment_method_category: PAYMENT_METHOD_CATEGORY }, (response) => {
      logWidget(`load → show_form ${response.show_form}`);
      $<HTMLButtonElement>('#buy').disabled = !response.show_form || (state.cart?.items.length ?? 0) === 0;
      resolve();
    });
  });
}

/** Does what the service's answer tells the widget to do. */
async function followKlarnaAction(cart: Cart): Promise<void> {
  if (cart.items.length > 0 && cart.klarna === null) {
    const session = await api.openKlarnaSession(cart.id);
    await klarnaInit(session.clientToken, session.sessionId);
    await klarnaLoad();
    return;
  }
  const klarna = cart.klarna;
  if (!klarna) return;
  if (klarna.action === 'init' || klarna.clientToken !== state.clientToken) {
    await klarnaInit(klarna.clientToken, klarna.sessionId);
    await klarnaLoad();
  } else if (klarna.action === 'load') {
    await klarnaLoad();
  } else if (klarna.action === 'reauthorize') {
    state.needsReauthorize = true;
    logWidget('reauthorize needed (the cart changed after approval)');
    await klarnaLoad();
  }
  if (state.needsReauthorize) {
    $('#buy').textContent = 'Approve the changed cart';
    $('#place-order').hidden = true;
    setStatus('The cart changed after you approved: approve again with Klarna.');
  }
}

// ---- Rendering -------------------------------------------------------------------------------------------

function renderCart(cart: Cart): void {
  const lines = $('#cart-lines');
  lines.replaceChildren(
    ...cart.items.map((item) => {
      const quantity = element('input', {
        type: 'number',
        min: '1',
        value: String(item.quantity),
        'data-testid': `quantity-${item.reference}`,
        'aria-label': `Quantity of ${item.name}`,
      });
      quantity.addEventListener(
        'change',
        () => void cartChange(() => api.changeQuantity(cart.id, item.id, { quantity: Number(quantity.value) })),
      );
      const remove = element('button', { type: 'button', 'data-testid': `remove-${item.reference}` }, 'Remove');
      remove.addEventListener('click', () => void cartChange(() => api.removeItem(cart.id, item.id)));
      return element(
        'tr',
        { 'data-reference': item.reference },
        element('td', {}, item.name),
        element('td', {}, quantity),
        element('td', { class: 'num' }, money(item.unitPrice, cart.purchaseCurrency)),
        element('td', { class: 'num' }, money(item.totalAmount, cart.purchaseCurrency)),
        element('td', {}, remove),
      );
    }),
  );
  // Lines the server adds (US sales tax, shipping, discounts) are in orderLines, not in items.
  const added = cart.orderLines.filter((line) => !cart.items.some((item) => item.reference === line.reference));
  for (const line of added) {
    lines.append(
      element(
        'tr',
        { class: 'added-line', 'data-type': line.type },
        element('td', { colspan: '3' }, line.name),
        element('td', { class: 'num' }, money(line.totalAmount, cart.purchaseCurrency)),
        element('td'),
      ),
    );
  }
  $('#sales-tax-row').hidden = true;
  $('#cart').hidden = cart.items.length === 0;
  $('#cart-empty').hidden = cart.items.length > 0;
  $('#cart-total').textContent = money(cart.orderAmount, cart.purchaseCurrency);
  $('#tax-note').textContent = `incl. ${money(cart.orderTaxAmount, cart.purchaseCurrency)} tax`;
  $('#notices').replaceChildren(
    ...cart.notices.map((notice) => element('li', {}, `${notice.code}: ${notice.reference}`)),
  );
  $<HTMLButtonElement>('#buy').disabled = cart.items.length === 0 || cart.klarna === null;
  if (cart.items.length === 0) {
    $(CONTAINER).replaceChildren(element('p', { class: 'hint' }, 'Add a product to pay with Klarna.'));
  }
}

async function renderProducts(market: Market): Promise<void> {
  const products: Product[] = [];
  let cursor: string | undefined;
  // The demo catalog is small; ten pages of a hundred is more than a demo needs.
  for (let page = 0; page < 10; page++) {
    const answer = await api.products(market, cursor);
    products.push(...answer.products);
    if (!answer.nextCursor) break;
    cursor = answer.nextCursor;
  }
  $('#products').replaceChildren(
    ...products.map((product) => {
      const add = element('button', { type: 'button', 'data-testid': `add-${product.reference}` }, 'Add to cart');
      add.addEventListener(
        'click',
        () => void cartChange(() => api.addItem(state.cart!.id, { reference: product.reference, quantity: 1 })),
      );
      return element(
        'li',
        { 'data-reference': product.reference },
        element('strong', {}, product.name),
        element('span', { class: 'price' }, money(product.unitPrice, product.currency)),
        element('span', { class: 'hint' }, `${product.type} · ${product.reference}`),
        add,
      );
    }),
  );
}

// ---- Shipping and discount codes (present only where the service has them) --------------------------------

interface ShippingOption {
  id: string;
  name: string;
  amount?: number;
  selected: boolean;
}

/** Reads the options whatever the list is called; the shape is the other branch's to define. */
function shippingOptionsOf(body: unknown, cart: Cart): ShippingOption[] {
  const record = (body ?? {}) as Record<string, unknown>;
  const list = Array.isArray(body) ? body : (record.options ?? record.shippingOptions ?? record.methods ?? []);
  const chosen = (cart as Cart & { shipping?: { methodId?: string; id?: string } | null }).shipping;
  return (Array.isArray(list) ? list : []).flatMap((entry: Record<string, unknown>) => {
    const id = entry.id ?? entry.methodId;
    if (typeof id !== 'string') return [];
    const amount = [entry.amount, entry.price, entry.totalAmount, entry.unitPrice].find((v) => typeof v === 'number');
    return [
      {
        id,
        name: typeof entry.name === 'string' ? entry.name : id,
        amount: amount as number | undefined,
        selected: entry.selected === true || chosen?.methodId === id || chosen?.id === id,
      },
    ];
  });
}

const featureMissing = (error: unknown) => error instanceof ApiFailure && error.body?.code === 'ROUTE_NOT_FOUND';

async function renderShipping(cart: Cart): Promise<void> {
  if (!state.hasShipping) return;
  let body: unknown;
  try {
    body = await api.optional.call('GET', `/carts/${cart.id}/shipping-options`);
  } catch (error) {
    if (featureMissing(error)) state.hasShipping = false;
    $('#shipping-section').hidden = !state.hasShipping;
    return;
  }
  $('#shipping-section').hidden = false;
  const options = shippingOptionsOf(body, cart);
  $('#shipping-options').replaceChildren(
    ...options.map((option) => {
      const radio = element('input', { type: 'radio', name: 'shipping', value: option.id });
      radio.checked = option.selected;
      radio.addEventListener(
        'change',
        () =>
          void cartChange(
            async () => (await api.optional.call('PUT', `/carts/${cart.id}/shipping`, { methodId: option.id })) as Cart,
          ),
      );
      const price = option.amount === undefined ? '' : ` · ${money(option.amount, cart.purchaseCurrency)}`;
      return element('label', { class: 'check' }, radio, ` ${option.name}${price}`);
    }),
  );
}

async function detectOptionalFeatures(cart: Cart): Promise<void> {
  try {
    await api.optional.call('GET', `/carts/${cart.id}/shipping-options`);
    state.hasShipping = true;
  } catch (error) {
    state.hasShipping = !featureMissing(error);
  }
  try {
    // Removing a code from a cart that has none changes nothing; only "no such route" says the feature is absent.
    await api.optional.call('DELETE', `/carts/${cart.id}/discount-codes/PROBE`);
    state.hasDiscounts = true;
  } catch (error) {
    state.hasDiscounts = !featureMissing(error);
  }
  $('#shipping-section').hidden = !state.hasShipping;
  $('#discount-section').hidden = !state.hasDiscounts;
}

// ---- Cart flow -------------------------------------------------------------------------------------------

async function showCart(cart: Cart): Promise<void> {
  state.cart = cart;
  sessionStorage.setItem(CART_KEY, cart.id);
  renderCart(cart);
  await followKlarnaAction(cart);
  await renderShipping(cart);
}

let pending = 0;
let queue: Promise<void> = Promise.resolve();

/** Marks the page busy while a call is out (body[data-pending]); the browser test waits on it. */
async function tracked<T>(work: () => Promise<T>): Promise<T> {
  pending += 1;
  document.body.dataset.pending = String(pending);
  try {
    return await work();
  } finally {
    pending -= 1;
    document.body.dataset.pending = String(pending);
  }
}

/** Every change goes through here, one after the other: the answer rendered, then the widget told. */
function cartChange(change: () => Promise<Cart>): Promise<void> {
  const next = queue.then(() =>
    tracked(async () => {
      try {
        await showCart(await change());
      } catch (error) {
        setStatus(describeFailure(error), true);
        // The input still shows what was refused: draw the cart as the service holds it.
        if (state.cart) renderCart(state.cart);
      }
    }),
  );
  queue = next;
  return next;
}

async function newCart(market: Market): Promise<Cart> {
  const cart = await api.createCart({
    purchaseCountry: market.country,
    purchaseCurrency: market.currency,
    locale: market.locale,
  });
  state.clientToken = undefined;
  state.needsReauthorize = false;
  await detectOptionalFeatures(cart);
  return cart;
}

async function changeMarket(market: Market): Promise<void> {
  state.market = market;
  fillAddress(market);
  await renderProducts(market);
  const cart = state.cart;
  if (!cart) return;
  await cartChange(() =>
    api.changeMarket(cart.id, {
      purchaseCountry: market.country,
      purchaseCurrency: market.currency,
      locale: market.locale,
    }),
  );
}

// ---- Address ---------------------------------------------------------------------------------------------

const DEMO_ADDRESSES: Record<string, Record<string, string>> = {
  SE: { streetAddress: 'Sveavägen 46', postalCode: '11134', city: 'Stockholm', phone: '+46701740615' },
  DE: { streetAddress: 'Hellersbergstraße 14', postalCode: '41460', city: 'Neuss', phone: '+491522113356' },
  GB: { streetAddress: '10 Downing Street', postalCode: 'SW1A 2AA', city: 'London', phone: '+447755564318' },
  US: {
    streetAddress: '509 Amsterdam Ave',
    postalCode: '10024',
    city: 'New York',
    region: 'NY',
    phone: '+13106683312',
  },
};

function fillAddress(market: Market): void {
  const form = $<HTMLFormElement>('#address');
  const values = {
    givenName: 'Test',
    familyName: 'Person',
    email: 'customer@email.us',
    region: '',
    ...DEMO_ADDRESSES[market.country],
  };
  for (const [name, value] of Object.entries(values)) {
    const input = form.elements.namedItem(name);
    if (input instanceof HTMLInputElement) input.value = value;
  }
}

async function saveAddress(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const cart = state.cart;
  if (!cart) return;
  const data = new FormData(event.target as HTMLFormElement);
  const address: Record<string, string> = { country: cart.purchaseCountry };
  for (const [name, value] of data.entries()) if (typeof value === 'string' && value !== '') address[name] = value;
  await cartChange(() => api.setCustomer(cart.id, { billingAddress: address, shippingAddress: address }));
  $('#address-status').textContent = 'Saved';
}

// ---- Payment and order -----------------------------------------------------------------------------------

function klarnaApproval(reauthorize: boolean): Promise<KlarnaAuthorizeResponse> {
  return klarnaReady!.then(
    (klarna) =>
      new Promise((resolve) => {
        const options = { payment_method_category: PAYMENT_METHOD_CATEGORY };
        if (reauthorize) klarna.reauthorize(options, {}, resolve);
        else klarna.authorize(options, {}, resolve);
      }),
  );
}

async function buy(): Promise<void> {
  const cart = state.cart;
  if (!cart || state.busy) return;
  state.busy = true;
  const reauthorize = state.needsReauthorize;
  pending += 1;
  document.body.dataset.pending = String(pending);
  try {
    setStatus('Waiting for Klarna…');
    const response = await klarnaApproval(reauthorize);
    const verb = reauthorize ? 'reauthorize' : 'authorize';
    if (!response.approved || !response.authorization_token) {
      logWidget(`${verb} → not approved (show_form ${response.show_form})`);
      setStatus(
        response.show_form
          ? 'Klarna did not approve the purchase. You can change the cart or try again.'
          : 'Klarna declined this purchase. No order was placed; your cart is still here.',
        true,
      );
      return;
    }
    logWidget(`${verb} → approved`);
    state.needsReauthorize = false;
    $('#buy').textContent = 'Buy';
    const review = $<HTMLInputElement>('#review-step').checked;
    const answer = await api.sendAuthorization(cart.id, {
      authorizationToken: response.authorization_token,
      finalize: !review,
    });
    if ('orderId' in answer) {
      await showOrder(answer);
    } else {
      setStatus('Approved by Klarna. Review your order, then place it.');
      $('#place-order').hidden = false;
    }
  } catch (error) {
    await afterRefusal(error);
  } finally {
    state.busy = false;
    pending -= 1;
    document.body.dataset.pending = String(pending);
  }
}

async function placeReviewedOrder(): Promise<void> {
  const cart = state.cart;
  if (!cart || state.busy) return;
  state.busy = true;
  try {
    await tracked(async () => {
      const answer = await api.placeReviewedOrder(cart.id);
      if ('orderId' in answer) await showOrder(answer);
    });
  } catch (error) {
    await afterRefusal(error);
  } finally {
    state.busy = false;
  }
}

/** A refused placement: the cart moved on (reauthorize), or the outcome is being settled (ask again). */
async function afterRefusal(error: unknown): Promise<void> {
  setStatus(describeFailure(error), true);
  if (error instanceof ApiFailure && ['REAUTHORIZATION_REQUIRED', 'CART_CHANGED'].includes(error.body.code)) {
    state.needsReauthorize = true;
    $('#place-order').hidden = true;
    await showCart(await api.cart(state.cart!.id));
  }
}

async function showOrder(placement: Placement): Promise<void> {
  const order = await api.order(placement.orderId);
  sessionStorage.removeItem(CART_KEY);
  setStatus(`Order ${order.status}.`);
  $('#order-id').textContent = order.orderId;
  $('#order-status').textContent = order.status;
  $('#order-fraud-status').textContent = order.fraudStatus ?? '–';
  $('#klarna-order-id').textContent = order.klarnaOrderId ?? '–';
  $('#order-amount').textContent = money(order.orderAmount, order.purchaseCurrency);
  $('#confirmation').hidden = false;
  $('#place-order').hidden = true;
  $<HTMLButtonElement>('#buy').disabled = true;
  $('#confirmation').scrollIntoView();
}

// ---- Start -----------------------------------------------------------------------------------------------

async function start(): Promise<void> {
  const config = await api.storefrontConfig();
  state.config = config;
  klarnaReady = loadKlarnaSdk(config.klarnaSdkUrl);
  const select = $<HTMLSelectElement>('#market');
  select.replaceChildren(...config.markets.map((market) => element('option', { value: market.country }, market.label)));
  let cart: Cart | undefined;
  const saved = sessionStorage.getItem(CART_KEY);
  if (saved) {
    cart = await api.cart(saved).catch(() => undefined);
    if (cart && cart.status !== 'open' && cart.status !== 'checkout') cart = undefined;
  }
  const market = config.markets.find((entry) => entry.country === cart?.purchaseCountry) ?? config.markets[0];
  select.value = market.country;
  state.market = market;
  fillAddress(market);
  await renderProducts(market);
  if (cart) await detectOptionalFeatures(cart);
  await showCart(cart ?? (await newCart(market)));

  select.addEventListener('change', () => {
    const next = config.markets.find((entry) => entry.country === select.value);
    if (next) void changeMarket(next);
  });
  $('#address').addEventListener('submit', (event) => void saveAddress(event as SubmitEvent));
  $('#buy').addEventListener('click', () => void buy());
  $('#place-order').addEventListener('click', () => void placeReviewedOrder());
  $('#new-cart').addEventListener('click', () => {
    sessionStorage.removeItem(CART_KEY);
    window.location.reload();
  });
  $('#discount-section').addEventListener('submit', (event) => {
    event.preventDefault();
    const code = $<HTMLInputElement>('#discount-code').value.trim();
    const current = state.cart;
    if (!code || !current) return;
    void cartChange(
      async () => (await api.optional.call('POST', `/carts/${current.id}/discount-codes`, { code })) as Cart,
    );
  });
  document.body.dataset.pending = '0';
  document.body.dataset.ready = 'true';
}

start().catch((error: unknown) => setStatus(`The page could not start: ${describeFailure(error)}`, true));
