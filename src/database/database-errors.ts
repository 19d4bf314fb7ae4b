/**
 * Tells a database outage apart from a bug, whatever layer the error comes through: Prisma's client
 * (P1001 ...), its pg driver adapter (`kind: 'DatabaseNotReachable'`), node-postgres and PostgreSQL itself
 * (SQLSTATE 57P01 ...) or the socket (ECONNREFUSED ...). Pure: no Prisma or pg imports.
 */
export type DatabaseTrouble = 'unavailable' | 'busy';

// Prisma: P1001 can't reach, P1002 timed out reaching, P1008 operation timed out, P1017 server closed the connection;
// P2024 no pooled connection in time, P2028 transaction could not start / expired (the pool or the database is busy).
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017']);
const PRISMA_BUSY = new Set(['P2024', 'P2028']);
// @prisma/adapter-pg's error kinds for lost or refused connections.
const ADAPTER_UNAVAILABLE = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TlsConnectionError',
]);
const ADAPTER_BUSY = new Set(['TooManyConnections']);
// PostgreSQL: class 08 (connection exception), 57P01..57P03 (shutting down, crashed, starting up), 53300 too many
// connections, 57014 query cancelled by statement_timeout or lock_timeout (55P03 lock_not_available).
const SQLSTATE_BUSY = new Set(['53300', '57014', '55P03']);
const SOCKET_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
// node-postgres says these in words only.
const PG_UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /not queryable/i,
  /Client was closed/i,
  /Cannot use a pool after calling end/i,
];

export function classifyDatabaseError(error: unknown): DatabaseTrouble | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== null && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const found = classifyOne(current as ErrorLike);
    if (found) return found;
    const next = current as ErrorLike;
    current = next.cause ?? next.meta?.driverAdapterError ?? next.meta?.cause;
  }
  return undefined;
}

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  kind?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown; cause?: unknown };
}

function classifyOne(error: ErrorLike): DatabaseTrouble | undefined {
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code) {
    if (PRISMA_UNAVAILABLE.has(code)) return 'unavailable';
    if (PRISMA_BUSY.has(code)) return 'busy';
    if (SQLSTATE_BUSY.has(code)) return 'busy';
    if (/^08/.test(code) || /^57P0[123]$/.test(code)) return 'unavailable';
    if (SOCKET_UNAVAILABLE.has(code)) return 'unavailable';
  }
  const kind = typeof error.kind === 'string' ? error.kind : undefined;
  if (kind && ADAPTER_UNAVAILABLE.has(kind)) return 'unavailable';
  if (kind && ADAPTER_BUSY.has(kind)) return 'busy';
  if (error.name === 'PrismaClientInitializationError') return 'unavailable';
  const message = typeof error.message === 'string' ? error.message : '';
  if (PG_UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return 'unavailable';
  // The pool had no free connection within DATABASE_ACQUIRE_TIMEOUT_MS (a database that is down refuses at once).
  if (/timeout exceeded when trying to connect/i.test(message)) return 'busy';
  return undefined;
}
