import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A fresh Standard Webhooks secret in its whsec_ form. */
export function aWebhookSecret(): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')}`;
}

export interface Arrival {
  /** webhook-id */
  id: string;
  type: string;
  orderId: string;
  body: { type: string; timestamp: string; data: Record<string, unknown> & { orderId: string } };
  /** What the stub answered: an HTTP status, or `timeout` when it answered too late. */
  answered: number | 'timeout' | 'hang';
  at: number;
}

/** What the stub does with one request: answer with a status (after a delay), or never answer. */
export type Reaction = { status: number; delayMs?: number } | 'hang';

/**
 * The merchant's order system as a test sees it: a real HTTP server that verifies every delivery with the
 * `standardwebhooks` reference library, as a receiver would, and records what came in what order. Its behaviour
 * per request is the test's to choose (fail the first attempts, answer slowly, be down, never answer).
 */
export class MerchantReceiver {
  readonly arrivals: Arrival[] = [];
  /** Requests whose signature did not verify (a test expects none). */
  readonly forged: string[] = [];
  react: (request: { id: string; type: string; orderId: string; attempt: number }) => Reaction = () => ({
    status: 200,
  });
  private server: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  private readonly verifier: Webhook;

  private constructor(secret: string) {
    this.verifier = new Webhook(secret);
    this.server = this.newServer();
  }

  static async start(secret: string): Promise<MerchantReceiver> {
    const receiver = new MerchantReceiver(secret);
    await receiver.listen();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/klarna-events`;
  }

  /** Every arrival of this order, in arrival order. */
  of(orderId: string): Arrival[] {
    return this.arrivals.filter((arrival) => arrival.orderId === orderId);
  }

  /** The events of this order the stub accepted (2xx), in arrival order, first acceptance of each id. */
  accepted(orderId: string): Arrival[] {
    const seen = new Set<string>();
    return this.of(orderId).filter((arrival) => {
      if (typeof arrival.answered !== 'number' || arrival.answered >= 300 || seen.has(arrival.id)) return false;
      seen.add(arrival.id);
      return true;
    });
  }

  /** Stops listening and cuts open connections: the receiver is down (connection refused). */
  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    this.server = this.newServer();
    await this.listen();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private newServer(): Server {
    const server = createServer((request, response) => void this.handle(request, response));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const payload = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(
      ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(request.headers[name])]),
    );
    let body: Arrival['body'];
    try {
      body = this.verifier.verify(payload, headers) as Arrival['body'];
    } catch {
      this.forged.push(payload);
      response.writeHead(400).end('bad signature');
      return;
    }
    const id = headers['webhook-id'];
    const attempt = this.arrivals.filter((arrival) => arrival.id === id).length + 1;
    const reaction = this.react({ id, type: body.type, orderId: body.data.orderId, attempt });
    const arrival: Arrival = {
      id,
      type: body.type,
      orderId: body.data.orderId,
      body,
      answered: reaction === 'hang' ? 'hang' : reaction.status,
      at: Date.now(),
    };
    this.arrivals.push(arrival);
    if (reaction === 'hang') return;
    if (reaction.delayMs) await new Promise((resolve) => setTimeout(resolve, reaction.delayMs));
    if (request.socket.destroyed) {
      arrival.answered = 'timeout';
      return;
    }
    response.writeHead(reaction.status, { 'content-type': 'text/plain' }).end(`answer ${reaction.status}`);
  }
}
