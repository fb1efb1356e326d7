/**
 * Whether an error means the infrastructure is unavailable (the database is down, restarting or out of connections)
 * rather than that the message is bad: such a message must wait for the database, never go to the dead-letter topic.
 * PostgreSQL SQLSTATE classes 08 (connection exception), 28 (the service's role refused: credentials, NOLOGIN), 53
 * (insufficient resources) and 57P (operator intervention: shutdown, crash recovery), and the socket errors a pool
 * reports while the server is away.
 */
export function isInfrastructureFailure(err: unknown): boolean {
  const seen = new Set<unknown>();
  const pending = [err];
  while (pending.length > 0) {
    const e = pending.pop() as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown } | null | undefined;
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const code = typeof e.code === 'string' ? e.code : '';
    if (/^(08|28|53|57P)/.test(code) || SOCKET_CODES.has(code)) return true;
    if (typeof e.message === 'string' && CONNECTION_MESSAGES.some((m) => (e.message as string).includes(m))) return true;
    pending.push(e.driverError, e.cause);
  }
  return false;
}

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'the database system is starting up',
  'the database system is shutting down',
  'terminating connection due to administrator command',
];
