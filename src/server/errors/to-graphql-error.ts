import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { isAppError, type ErrorCode } from '../../domain/errors';
import type { Logger } from '../../domain/ports/logger';
import { isServiceUnavailable } from './unavailable-service';

/** AppError codes as clients see them in `extensions.code`. */
const PUBLIC_CODES: Partial<Record<ErrorCode, string>> = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONVERSATION_NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  REPLY_FINISHED: 'REPLY_FINISHED',
  RESPONSE_TOO_LARGE: 'RESPONSE_TOO_LARGE',
  REPLY_EXPIRED: 'REPLY_EXPIRED',
  ILLEGAL_TRANSITION: 'CONFLICT',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

/** Codes GraphQL itself (parse, validation) and Apollo produce; they are safe to pass through. */
const FRAMEWORK_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'QUERY_TOO_DEEP',
  'QUERY_TOO_COSTLY',
  'TOO_MANY_SUBSCRIPTIONS',
  'TOO_MANY_ALIASES',
  'RESPONSE_TOO_LARGE',
  'RATE_LIMITED',
]);

/** Every `extensions.code` this mapping can produce (bounds the metrics' code label). */
export const CLIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  ...Object.values(PUBLIC_CODES),
  ...FRAMEWORK_CODES,
  'INTERNAL_SERVER_ERROR',
]);

const LIMIT_CODES = new Set([
  'QUERY_TOO_DEEP',
  'QUERY_TOO_COSTLY',
  'TOO_MANY_SUBSCRIPTIONS',
  'TOO_MANY_ALIASES',
  'RESPONSE_TOO_LARGE',
  'GRAPHQL_PARSE_FAILED',
  'RATE_LIMITED',
]);

/** A failure of ours: the client gets its code and our wording, never the error's own message. */
const serverFault = (formatted: GraphQLFormattedError, code: string, message: string): GraphQLFormattedError => ({
  message,
  path: formatted.path,
  locations: formatted.locations,
  extensions: { code },
});

/**
 * The one place an error becomes what a client sees, shared by Apollo's formatError
 * and graphql-ws so HTTP and WebSocket agree. Unknown failures become a generic
 * INTERNAL_SERVER_ERROR and are logged with their detail.
 */
export const toGraphQLError = (
  formatted: GraphQLFormattedError,
  error: unknown,
  logger: Logger,
): GraphQLFormattedError => {
  const original = unwrapResolverError(error);
  if (isAppError(original)) {
    const code = PUBLIC_CODES[original.code];
    if (code) return { ...formatted, message: original.message, extensions: { code } };
  } else if (original instanceof GraphQLError) {
    // Apollo relabels every validation error GRAPHQL_VALIDATION_FAILED; a limit's own code is more useful.
    const cause = original.originalError instanceof GraphQLError ? original.originalError : original;
    const own = cause.extensions?.['code'];
    const code = typeof own === 'string' && LIMIT_CODES.has(own) ? own : formatted.extensions?.['code'];
    if (typeof code === 'string' && FRAMEWORK_CODES.has(code)) return { ...formatted, extensions: { code } };
    // graphql-ws hands over parse and validation errors as they come from graphql-js, without
    // Apollo's code: an error with no underlying cause is about the document, not the server.
    if (code === undefined && original.originalError === undefined)
      return { ...formatted, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
  }
  if (isServiceUnavailable(original)) {
    logger.warn({ err: original, path: formatted.path }, 'GraphQL operation failed: a backing service is unreachable');
    return serverFault(formatted, 'SERVICE_UNAVAILABLE', 'a backing service is unavailable; try again shortly');
  }
  logger.error({ err: original, path: formatted.path }, 'unexpected error in GraphQL operation');
  return serverFault(formatted, 'INTERNAL_SERVER_ERROR', 'Internal server error');
};

/** An AppError as a GraphQLError, for the places that must throw one (context functions). */
export const appErrorToGraphQL = (code: 'UNAUTHENTICATED' | 'FORBIDDEN', message: string, status: number) =>
  new GraphQLError(message, { extensions: { code, http: { status } } });
