/**
 * A TCP proxy in front of PostgreSQL that counts what clients send, by reading the frontend side of the wire
 * protocol (https://www.postgresql.org/docs/current/protocol-message-formats.html). It is how the bench measures
 * database round trips per request without pg_stat_statements (not preloaded on this server).
 *
 * A round trip is a message the client must wait for ReadyForQuery after: `Sync` (extended protocol, what
 * node-postgres sends after each parameterised query) or `Query` (simple protocol, e.g. BEGIN/COMMIT).
 * A statement is an `Execute` or a `Query` (a simple query of two statements counts once). Connections whose
 * startup names an `application_name` starting with `pgboss` (pg-boss 12 names them `pgboss:<instance>`)
 * (the job queue's own pool, which polls in the background) are counted apart from the application's.
 */
import { Buffer } from 'node:buffer';
import net from 'node:net';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/**
 * @typedef {{ roundTrips: number, statements: number, parses: number, connections: number }} WireCounts
 * @typedef {{ app: WireCounts, pgboss: WireCounts }} WireSnapshot
 */

/** @returns {WireCounts} */
const zero = () => ({ roundTrips: 0, statements: 0, parses: 0, connections: 0 });

/**
 * @param {{ host: string, port: number }} target the real PostgreSQL
 * @returns {Promise<{ port: number, snapshot(): WireSnapshot, startCapture(): void, stopCapture(): string[], close(): Promise<void> }>}
 */
export async function startPgWireCounter(target) {
  /** @type {WireSnapshot} */
  const counts = { app: zero(), pgboss: zero() };
  /** @type {string[] | null} SQL text of each statement the application ran (simple query or bind) while capturing */
  let captured = null;
  const sockets = new Set();

  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    let startup = true;
    /** @type {WireCounts} */
    let bucket = counts.app;
    /** SQL text of this connection's prepared statements by name ('' is the unnamed one) */
    const prepared = new Map();

    const read = (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      let offset = 0;
      for (;;) {
        if (startup) {
          if (buffer.length - offset < 8) break;
          const length = buffer.readInt32BE(offset);
          if (buffer.length - offset < length) break;
          const code = buffer.readInt32BE(offset + 4);
          if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) {
            const params = buffer
              .subarray(offset + 8, offset + length)
              .toString('utf8')
              .split('\0');
            const appName = params[params.indexOf('application_name') + 1];
            bucket = params.includes('application_name') && appName.startsWith('pgboss') ? counts.pgboss : counts.app;
            bucket.connections += 1;
            startup = false;
          }
          offset += length;
          continue;
        }
        if (buffer.length - offset < 5) break;
        const type = String.fromCharCode(buffer[offset]);
        const length = buffer.readInt32BE(offset + 1);
        if (buffer.length - offset < length + 1) break;
        if (type === 'S') bucket.roundTrips += 1;
        else if (type === 'Q') {
          bucket.roundTrips += 1;
          bucket.statements += 1;
        } else if (type === 'E') bucket.statements += 1;
        else if (type === 'P') bucket.parses += 1;
        if (bucket === counts.app && (type === 'P' || type === 'B' || type === 'Q')) {
          // Parse: statement name \0 query \0 ...; Bind: portal \0 statement name \0 ...; Query: query \0.
          // A named statement is parsed once per connection and bound on every run: the text is taken at Bind.
          const body = buffer.subarray(offset + 5, offset + 1 + length);
          const cString = (from) => body.subarray(from, body.indexOf(0, from)).toString('utf8');
          if (type === 'P') {
            const name = cString(0);
            prepared.set(name, cString(Buffer.byteLength(name) + 1));
          } else if (captured) {
            const text = type === 'Q' ? cString(0) : prepared.get(cString(body.indexOf(0) + 1));
            captured.push((text ?? '?').replace(/\s+/g, ' ').trim());
          }
        }
        offset += length + 1;
      }
      buffer = buffer.subarray(offset);
    };

    client.on('data', (chunk) => {
      read(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = /** @type {net.AddressInfo} */ (server.address());
  return {
    port: address.port,
    snapshot: () => ({ app: { ...counts.app }, pgboss: { ...counts.pgboss } }),
    startCapture: () => {
      captured = [];
    },
    stopCapture: () => {
      const statements = captured ?? [];
      captured = null;
      return statements;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
