/**
 * The Klarna simulator's stand-in for Klarna's JS SDK (https://x.klarnacdn.net/kp/lib/v1/api.js): the same
 * `Klarna.Payments` API (init / load / authorize / reauthorize with callbacks), so a page's code is the same with
 * Klarna and with the simulator. It is NOT Klarna's widget: it draws a clearly labelled form into the container
 * and, on authorize, a dialog whose choice is sent to the simulator's own authorize control
 * (POST /_sim/sessions/:id/authorize), so the token it hands back is one the simulator will accept.
 *
 * A classic script (Klarna's is one too): everything inside one function, nothing global but window.Klarna.
 */
(() => {
  const script = document.currentScript as HTMLScriptElement | null;
  // The simulator that served this file is the one that owns the sessions.
  const simulatorOrigin = script ? new URL(script.src).origin : window.location.origin;
  const LATE_CALLBACK_MS = 5000;

  type Choice = 'approve' | 'decline' | 'approve_late' | 'close';

  let sessionId: string | undefined;

  /** The simulator's client token is JWT-shaped (unsigned): its payload names the session. */
  function sessionOf(clientToken: string): string {
    const payload = clientToken.split('.')[1];
    if (!payload) throw new Error('Klarna (simulated): client_token is not a token of the Klarna simulator');
    const json = atob(payload.replaceAll('-', '+').replaceAll('_', '/'));
    const parsed = JSON.parse(json) as { session_id?: unknown };
    if (typeof parsed.session_id !== 'string') throw new Error('Klarna (simulated): client_token names no session');
    return parsed.session_id;
  }

  function element<K extends keyof HTMLElementTagNameMap>(
    tag: K,
    attributes: Record<string, string>,
    ...children: (Node | string)[]
  ): HTMLElementTagNameMap[K] {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  function containerOf(container: string | HTMLElement): HTMLElement {
    const found = typeof container === 'string' ? document.querySelector<HTMLElement>(container) : container;
    if (!found) throw new Error(`Klarna (simulated): no container ${String(container)}`);
    return found;
  }

  function splitArguments<R>(
    second: KlarnaData | ((response: R) => void) | undefined,
    third: ((response: R) => void) | undefined,
  ): ((response: R) => void) | undefined {
    return typeof second === 'function' ? second : third;
  }

  /** The shopper's side of authorize: a modal with the three outcomes a test or a person may want. */
  function askShopper(reauthorize: boolean): Promise<Choice> {
    return new Promise((resolve) => {
      const close = (choice: Choice) => {
        overlay.remove();
        resolve(choice);
      };
      const button = (label: string, choice: Choice, kind: string) => {
        const node = element('button', { type: 'button', class: `ksim-button ksim-${kind}` }, label);
        node.addEventListener('click', () => close(choice));
        return node;
      };
      const dialog = element(
        'div',
        { class: 'ksim-dialog', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Klarna (simulated)' },
        element('div', { class: 'ksim-badge' }, 'Klarna (simulated)'),
        element(
          'p',
          {},
          reauthorize
            ? 'The cart changed after you approved. Approve the new amount?'
            : 'Approve this purchase with Pay later?',
        ),
        element('p', { class: 'ksim-small' }, 'This is the Klarna simulator, not Klarna: no real payment is made.'),
        button('Approve', 'approve', 'primary'),
        button('Decline', 'decline', 'secondary'),
        button('Approve, then send the callback late', 'approve_late', 'secondary'),
        button('Close', 'close', 'link'),
      );
      const overlay = element('div', { class: 'ksim-overlay' }, dialog);
      document.body.append(overlay);
    });
  }

  async function authorizeWithSimulator(
    reauthorize: boolean,
    callback: (response: KlarnaAuthorizeResponse) => void,
  ): Promise<void> {
    if (!sessionId) throw new Error('Klarna (simulated): call Klarna.Payments.init({ client_token }) first');
    const choice = await askShopper(reauthorize);
    if (choice === 'close') {
      // Klarna: the shopper closed the popup; the payment method stays available.
      callback({ approved: false, show_form: true });
      return;
    }
    const body = {
      outcome: choice === 'decline' ? 'denied' : 'approved',
      ...(choice === 'approve_late' ? { callbackDelayMs: LATE_CALLBACK_MS } : {}),
    };
    const action = reauthorize ? 'reauthorize' : 'authorize';
    try {
      const answer = await fetch(`${simulatorOrigin}/_sim/sessions/${encodeURIComponent(sessionId)}/${action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const result = (await answer.json()) as { approved?: boolean; authorization_token?: string };
      if (!answer.ok || result.approved !== true || typeof result.authorization_token !== 'string') {
        // Klarna: a declined shopper gets show_form false (hide Klarna for this purchase).
        callback({ approved: false, show_form: choice !== 'decline' && answer.ok });
        return;
      }
      callback({
        approved: true,
        show_form: true,
        authorization_token: result.authorization_token,
        finalize_required: false,
      });
    } catch {
      callback({ approved: false, show_form: true, error: { invalid_fields: [] } });
    }
  }

  const payments: KlarnaPaymentsApi = {
    init(options: { client_token: string }): void {
      sessionId = sessionOf(options.client_token);
    },

    load(
      options: KlarnaLoadOptions,
      second?: KlarnaData | ((response: KlarnaLoadResponse) => void),
      third?: (response: KlarnaLoadResponse) => void,
    ): void {
      const callback = splitArguments(second, third);
      if (!sessionId) throw new Error('Klarna (simulated): call Klarna.Payments.init({ client_token }) first');
      const container = containerOf(options.container);
      container.replaceChildren(
        element(
          'div',
          { class: 'ksim-form', 'data-session-id': sessionId },
          element('div', { class: 'ksim-badge' }, 'Klarna (simulated)'),
          element('strong', {}, 'Pay later in 30 days'),
          element('p', { class: 'ksim-small' }, `Stand-in widget of the Klarna simulator, session ${sessionId}.`),
          element('p', { class: 'ksim-small' }, `Category: ${options.payment_method_category}. No real payment.`),
        ),
      );
      callback?.({ show_form: true });
    },

    authorize(
      _options: KlarnaAuthorizeOptions,
      second: KlarnaData | ((response: KlarnaAuthorizeResponse) => void),
      third?: (response: KlarnaAuthorizeResponse) => void,
    ): void {
      const callback = splitArguments(second, third);
      if (callback) void authorizeWithSimulator(false, callback);
    },

    reauthorize(
      _options: KlarnaAuthorizeOptions,
      second: KlarnaData | ((response: KlarnaAuthorizeResponse) => void),
      third?: (response: KlarnaAuthorizeResponse) => void,
    ): void {
      const callback = splitArguments(second, third);
      if (callback) void authorizeWithSimulator(true, callback);
    },
  };

  const style = document.createElement('style');
  style.textContent = `
    .ksim-form { border: 2px dashed #ffb3c7; border-radius: 8px; padding: 12px; background: #fff5f8; font: 14px system-ui, sans-serif; }
    .ksim-badge { display: inline-block; background: #ffb3c7; color: #17120f; font-weight: 700; border-radius: 4px; padding: 2px 8px; margin-bottom: 6px; }
    .ksim-small { color: #555; font-size: 12px; margin: 4px 0; }
    .ksim-overlay { position: fixed; inset: 0; background: rgba(0,0,0,.45); display: flex; align-items: center; justify-content: center; z-index: 1000; }
    .ksim-dialog { background: #fff; border-radius: 10px; padding: 20px; width: 340px; display: flex; flex-direction: column; gap: 8px; font: 15px system-ui, sans-serif; }
    .ksim-button { padding: 10px; border-radius: 6px; border: 1px solid #17120f; background: #fff; cursor: pointer; font-size: 14px; }
    .ksim-primary { background: #ffb3c7; border-color: #ffb3c7; font-weight: 700; }
    .ksim-link { border: none; text-decoration: underline; }
  `;
  document.head.append(style);
  window.Klarna = { Payments: payments };
  window.klarnaAsyncCallback?.();
})();
