/**
 * Whether an error says a backing service (Redis, the database) could not be reached, rather than
 * that something is wrong with the request or the code: ioredis gives up a command while its
 * connection is down (MaxRetriesPerRequestError, "Connection is closed"), the database drivers
 * lose or cannot open a socket. Clients may retry those; they are told SERVICE_UNAVAILABLE, not
 * INTERNAL_SERVER_ERROR (on which a client gives up). Matched by name, code and message along the
 * cause chain, so this edge needs none of the drivers' classes.
 */
const NAMES = new Set(['MaxRetriesPerRequestError', 'ConnectionException']);
const CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ER_SOCKET_UNEXPECTED_CLOSE',
  'ER_GET_CONNECTION_TIMEOUT',
  'ER_CONNECTION_TIMEOUT',
  'PROTOCOL_CONNECTION_LOST',
]);
const SQL_STATES = new Set(['08S01', '08001', '08004', '08006']);
const MESSAGES =
  /Connection is closed|socket has unexpectedly been closed|retrieve connection from pool timeout|connect ECONNREFUSED|Stream isn't writeable/i;

type Link = { name?: unknown; code?: unknown; sqlState?: unknown; message?: unknown; cause?: unknown };

export const isServiceUnavailable = (error: unknown): boolean => {
  let current = error as Link | undefined;
  for (let depth = 0; current && typeof current === 'object' && depth < 6; depth += 1) {
    if (NAMES.has(String(current.name)) || CODES.has(String(current.code)) || SQL_STATES.has(String(current.sqlState)))
      return true;
    if (typeof current.message === 'string' && MESSAGES.test(current.message)) return true;
    current = current.cause as Link | undefined;
  }
  return false;
};
