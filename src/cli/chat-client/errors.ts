import { CloseCode } from 'graphql-ws';

/**
 * Everything that ends a chat run early, reduced to one line a person can act on.
 * `fatal` failures (server unreachable, token refused) end interactive mode too;
 * the others only end the current message.
 */
export class ChatCliError extends Error {
  constructor(
    message: string,
    readonly fatal: boolean,
    /** A network failure: the server could not be reached at all, or the connection dropped (an answer may be lost). */
    readonly network?: 'unreachable' | 'dropped',
  ) {
    super(message);
    this.name = 'ChatCliError';
  }
}

interface FormattedError {
  message: string;
  extensions?: { code?: unknown };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** graphql-ws hands a CloseEvent (or its own look-alike) to the sink when the socket closes. */
const isCloseEvent = (value: unknown): value is { code: number; reason: string } =>
  isObject(value) && typeof value['code'] === 'number' && 'reason' in value;

const isGraphQLErrors = (value: unknown): value is FormattedError[] =>
  Array.isArray(value) && value.every((item) => isObject(item) && typeof item['message'] === 'string');

const REFUSED_CODES: readonly number[] = [CloseCode.Unauthorized, CloseCode.Forbidden];

/**
 * Worth resubscribing after: the socket dropped or could not reconnect, as opposed to the
 * server answering "no" (GraphQL errors other than SERVICE_UNAVAILABLE, a refused token, a protocol
 * error in 44xx).
 * 4499 is graphql-ws's own "terminated", which is a local drop.
 */
export const isTransient = (error: unknown): boolean => {
  // The server could not reach Redis or its database for this subscription: the reply goes on, resubscribe.
  if (isGraphQLErrors(error))
    return error.length > 0 && error.every((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE');
  if (error instanceof ChatCliError) return false;
  if (isCloseEvent(error)) return error.code < 4000 || error.code === 4499;
  return true;
};

export const graphqlErrorLines = (errors: readonly FormattedError[]) =>
  errors
    .map(
      (error) =>
        `error: ${error.message}${typeof error.extensions?.code === 'string' ? ` (${error.extensions.code})` : ''}`,
    )
    .join('\n');

const unreachable = (url: string, error: unknown) => {
  const detail =
    isObject(error) && typeof error['message'] === 'string' && error['message'] ? ` (${error['message']})` : '';
  return new ChatCliError(
    `cannot reach the server at ${url}${detail}; is \`npm run dev\` running?`,
    true,
    'unreachable',
  );
};

/** Maps whatever graphql-ws rejected with to a ChatCliError; `tokenHint` explains a refusal. */
export const toCliError = (error: unknown, context: { url: string; tokenHint?: string }): ChatCliError => {
  if (error instanceof ChatCliError) return error;
  if (isGraphQLErrors(error)) return new ChatCliError(graphqlErrorLines(error), false);
  if (isCloseEvent(error)) {
    if (REFUSED_CODES.includes(error.code)) {
      const hint = context.tokenHint ? `; ${context.tokenHint}` : '';
      return new ChatCliError(
        `the server refused the token (${error.code} ${error.reason || 'Forbidden'})${hint}`,
        true,
      );
    }
    if (error.code >= 4000 && error.code !== 4499)
      return new ChatCliError(`the server closed the connection: ${error.code} ${error.reason}`, true);
    return new ChatCliError(
      `lost the connection to ${context.url} (${error.code}${error.reason ? ` ${error.reason}` : ''})`,
      true,
      'dropped',
    );
  }
  return unreachable(context.url, error);
};
