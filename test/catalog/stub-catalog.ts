import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small stand-in for a shop's own catalog (the CATALOG_URL contract), for the e2e tests: it answers
 * from the products it is given, and can be told to hang, fail or answer garbage.
 */
export type StubBehaviour = 'answer' | 'hang' | 'garbage' | 'invalid-product' | 'server-error';

export interface StubRequest {
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
}

export interface StubCatalog {
  url: string;
  requests: StubRequest[];
  /** Requests currently held open by `hang` (the service gives up on them, not the stub). */
  hanging: number;
  behaviour: StubBehaviour;
  /** Per market (`SE/SEK/sv-SE`): reference -> product answered. */
  products: Map<string, Record<string, unknown>>;
  notSoldInMarket: Set<string>;
  close(): Promise<void>;
}

export async function startStubCatalog(token: string): Promise<StubCatalog> {
  const held = new Set<ServerResponse>();
  const stub: Omit<StubCatalog, 'url' | 'close'> = {
    requests: [],
    hanging: 0,
    behaviour: 'answer',
    products: new Map(),
    notSoldInMarket: new Set(),
  };
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://stub');
    stub.requests.push({
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: request.headers.authorization,
    });
    if (request.headers.authorization !== `Bearer ${token}`) return send(response, 401, { error: 'unauthorized' });
    if (url.pathname !== '/api/products') return send(response, 404, { error: 'not found' });
    switch (stub.behaviour) {
      case 'hang':
        held.add(response);
        stub.hanging += 1;
        response.on('close', () => {
          held.delete(response);
          stub.hanging -= 1;
        });
        return;
      case 'garbage':
        response.writeHead(200, { 'content-type': 'application/json' });
        return response.end('<html>Service Temporarily Unavailable</html>');
      case 'server-error':
        return send(response, 500, { error: 'boom' });
      case 'invalid-product':
        return send(response, 200, {
          products: [
            {
              reference: url.searchParams.get('references'),
              name: 'x',
              type: 'physical',
              unitPrice: -100,
              taxRate: 2500,
            },
          ],
        });
      default: {
        const references = (url.searchParams.get('references') ?? '').split(',');
        return send(response, 200, {
          products: references.flatMap((reference) => {
            const product = stub.products.get(reference);
            return product ? [{ reference, ...product }] : [];
          }),
          notSoldInMarket: references.filter((reference) => stub.notSoldInMarket.has(reference)),
          // A field the contract does not name: ignored by the service.
          generatedAt: new Date().toISOString(),
        });
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(stub, {
    // Served under a path, as a shop's API usually is: CATALOG_URL is a base URL.
    url: `http://127.0.0.1:${port}/api`,
    async close() {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
