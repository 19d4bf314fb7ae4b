/** Helpers for the simulator's own tests: a tiny Klarna client, valid bodies, and a merchant callback receiver. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KlarnaSimulator } from '../../src/klarna-simulator/klarna-simulator.js';
import type { KlarnaOrderLine } from '../../src/klarna-simulator/klarna-types.js';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export type KlarnaLine = KlarnaOrderLine;

export class SimulatorClient {
  constructor(
    readonly simulator: KlarnaSimulator,
    private readonly credentials = `${simulator.username}:${simulator.password}`,
  ) {}

  withCredentials(username: string, password: string): SimulatorClient {
    return new SimulatorClient(this.simulator, `${username}:${password}`);
  }

  /** A Klarna API call with Basic auth. */
  klarna<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Answer<T>> {
    const authorization = `Basic ${Buffer.from(this.credentials).toString('base64')}`;
    return this.call<T>(method, path, body, { authorization, ...headers }, signal);
  }

  /** A /_sim control call (no auth). */
  control<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    return this.call<T>(method, `/_sim${path}`, body, {});
  }

  async createSession(overrides: Record<string, unknown> = {}): Promise<string> {
    const answer = await this.klarna<{ session_id: string }>('POST', '/payments/v1/sessions', sessionBody(overrides));
    if (answer.status !== 200)
      throw new Error(`createSession answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body.session_id;
  }

  async authorize(sessionId: string, outcome?: string): Promise<string> {
    const answer = await this.control<{ authorization_token: string }>('POST', `/sessions/${sessionId}/authorize`, {
      outcome,
    });
    if (answer.status !== 200) throw new Error(`authorize answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body.authorization_token;
  }

  /** Session -> authorization -> order; the order's id. */
  async placeOrder(
    overrides: Record<string, unknown> = {},
    orderOverrides: Record<string, unknown> = {},
  ): Promise<string> {
    const sessionId = await this.createSession(overrides);
    const token = await this.authorize(sessionId);
    const answer = await this.klarna<{ order_id: string }>('POST', `/payments/v1/authorizations/${token}/order`, {
      ...sessionBody(overrides),
      ...orderOverrides,
    });
    if (answer.status !== 200) throw new Error(`createOrder answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body.order_id;
  }

  private async call<T>(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Answer<T>> {
    const response = await fetch(`${this.simulator.url}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal,
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
  }
}

/** Germany, 19 % VAT: 2 mugs at 59.50 and shipping 4.90. */
export const mugs = (): KlarnaLine => ({
  type: 'physical',
  reference: 'MUG-1',
  name: 'Mug',
  quantity: 2,
  unit_price: 5950,
  total_amount: 11900,
  tax_rate: 1900,
  total_tax_amount: 1900,
});
export const shipping = (): KlarnaLine => ({
  type: 'shipping_fee',
  name: 'Shipping',
  quantity: 1,
  unit_price: 490,
  total_amount: 490,
  tax_rate: 1900,
  total_tax_amount: 78,
});

export function sessionBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    purchase_country: 'DE',
    purchase_currency: 'EUR',
    locale: 'de-DE',
    order_amount: 12390,
    order_tax_amount: 1978,
    order_lines: [mugs(), shipping()],
    ...overrides,
  };
}

export interface ReceivedCallback {
  path: string;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** The merchant side: a node:http server that records every POST it receives. */
export class CallbackReceiver {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly received: ReceivedCallback[],
  ) {}

  static async start(status = 200): Promise<CallbackReceiver> {
    const received: ReceivedCallback[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        received.push({ path: request.url ?? '', body: text ? JSON.parse(text) : undefined, headers: request.headers });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new CallbackReceiver(server, `http://127.0.0.1:${port}`, received);
  }

  /** Waits until `count` callbacks matching `path` arrived. */
  async waitFor(path: string, count = 1, timeoutMs = 5000): Promise<ReceivedCallback[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matching = this.received.filter((callback) => callback.path === path);
      if (matching.length >= count) return matching;
      if (Date.now() > deadline) throw new Error(`expected ${count} callback(s) to ${path}, got ${matching.length}`);
      await sleep(10);
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const HOUR_MS = 60 * 60 * 1000;
