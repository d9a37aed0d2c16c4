import pino, { type Logger } from 'pino';
import type { AppConfig } from '../config';

export type { Logger };

/**
 * Fields that carry credentials wherever they appear in a log object (one level of nesting, as
 * pino's paths go): request headers, graphql-ws connection params, tokens, keys and passwords.
 */
const REDACT_PATHS = [
  'authorization',
  'Authorization',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
  'connectionParams',
  '*.connectionParams',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'jwtSecret',
  '*.jwtSecret',
];

/** `scheme://user:password@host` → `scheme://user:***@host`, anywhere in a string. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]+@/gi;

/** Removes credentials that URLs inside free text (error messages, stacks) may carry. */
export const scrubUrlCredentials = (text: string): string => text.replace(URL_CREDENTIALS, '$1:***@');

/** Where a driver error starts quoting its statement and parameters (mariadb: "\nsql: … - parameters:[…]"). */
const SQL_TAIL = /\n?[ \t]*sql: [\s\S]*?(?=\n\s+at |$)/g;
/** MikroORM puts the statement before the driver's words (`insert … - (conn:12, no: 1146, …) …`), also in a wrapped error's cause. */
const SQL_HEAD = /\b(?:insert|update|select|delete|replace|with)\s[\s\S]*? - (?=\(conn:)/gi;

/** How a message that quotes a statement starts: knex prefixes every failed query's error with it, values inlined (`<statement> - <driver's words>`). */
const STATEMENT_START =
  /^(?:insert\s+into|replace\s+into|delete\s+from|update\s+\S+\s+set|select\s[\s\S]*?\sfrom|with\s+\S+\s+as|call\s|(?:un)?lock\s+tables|set\s|begin|commit|rollback|savepoint\s|release\s+savepoint|start\s+transaction)\b/i;

/**
 * The statements an error and its causes quote, with their values inlined: each database error's
 * `sql` field (mysql2: the statement itself; mariadb: followed by " - parameters:[…]"), and where
 * an error has none (a connection lost mid-query), what knex put before the last " - " of its
 * message. Longest first, so a statement is removed whole before any shorter one inside it.
 */
const quotedStatements = (error: unknown): string[] => {
  const found = new Set<string>();
  const visited = new Set<unknown>();
  for (let current = error; current && typeof current === 'object' && !visited.has(current);) {
    visited.add(current);
    const { sql, message, cause } = current as { sql?: unknown; message?: unknown; cause?: unknown };
    if (typeof sql === 'string' && sql.length > 0) found.add(sql).add(sql.replace(/ - parameters:[\s\S]*$/, ''));
    else if (typeof message === 'string' && STATEMENT_START.test(message) && message.includes(' - '))
      found.add(message.slice(0, message.lastIndexOf(' - ')));
    current = cause;
  }
  return [...found].sort((a, b) => b.length - a.length);
};

/**
 * Errors as pino's standard serializer renders them, minus what must not reach the logs: a
 * database error quotes its SQL with its parameters (chat content) in `sql` and in its message,
 * and a connection error may quote a URL with its password. The driver's own sentence
 * (`sqlMessage`, e.g. "Duplicate entry … for key …") is kept.
 */
const serializeError = (error: unknown) => {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  if (!serialized || typeof serialized !== 'object') return serialized;
  // pino appends each cause's message and stack to the error's own, where the fields below cannot reach them.
  const statements = quotedStatements(error);
  const clean: Record<string, unknown> = {};
  const scrub = (text: string) =>
    scrubUrlCredentials(statements.reduce((rest, statement) => rest.split(statement).join('[sql omitted]'), text));
  for (const [key, value] of Object.entries(serialized)) {
    if (key === 'sql' || key === 'parameters' || key === 'params' || key === 'query') continue;
    clean[key] = typeof value === 'string' ? scrub(value) : value;
  }
  const sqlMessage = serialized['sqlMessage'];
  if (typeof sqlMessage === 'string') {
    // A MikroORM error's message (and so its stack's first line) starts with the statement: keep the driver's sentence and the frames.
    clean['message'] = scrubUrlCredentials(sqlMessage);
    const frames =
      typeof clean['stack'] === 'string' ? (/\n\s+at [\s\S]*$/.exec(clean['stack'] as string)?.[0] ?? '') : '';
    clean['stack'] = `${String(serialized['type'] ?? 'Error')}: ${clean['message']}${frames}`;
  }
  for (const key of ['message', 'stack'] as const) {
    if (typeof clean[key] === 'string')
      clean[key] = (clean[key] as string).replace(SQL_TAIL, ' [sql omitted]').replace(SQL_HEAD, '[sql omitted] - ');
  }
  return clean;
};

/**
 * Structured JSON logs. Secrets never reach them: config is redacted before it is logged,
 * credential fields are censored wherever they appear, and errors are serialized without SQL
 * parameters or URL passwords.
 */
export const createLogger = (
  log: AppConfig['log'],
  bindings: Record<string, unknown> = {},
  destination?: pino.DestinationStream,
): Logger =>
  pino(
    {
      level: log.level,
      base: { service: 'agent-relay', ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError, error: serializeError },
    },
    destination,
  );
