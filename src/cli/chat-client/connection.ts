import { createClient, type Client, type FormattedExecutionResult, type SubscribePayload } from 'graphql-ws';
import WebSocket from 'ws';
import type { Credentials } from './credentials';
import { ChatCliError, graphqlErrorLines, toCliError } from './errors';

/** One graphql-ws client for the mutation and the subscriptions: no HTTP client needed. */
export interface Connection {
  readonly client: Client;
  readonly url: string;
  /** Turns a graphql-ws failure into the one line to print. */
  fail(error: unknown): ChatCliError;
  dispose(): Promise<void>;
}

/** Long enough to bridge the gap between sendMessage returning and chatStream subscribing. */
const IDLE_CLOSE_MS = 30_000;
const ACK_TIMEOUT_MS = 15_000;

export const openConnection = (credentials: Credentials): Connection => {
  const client = createClient({
    url: credentials.url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${credentials.token}` },
    lazy: true,
    lazyCloseTimeout: IDLE_CLOSE_MS,
    connectionAckWaitTimeout: ACK_TIMEOUT_MS,
    // graphql-ws would resubscribe with the original variables and replay the reply from its
    // start; reply-stream.ts resumes from the last cursor instead, and a mutation must not rerun.
    retryAttempts: 0,
  });
  const context = { url: credentials.url, tokenHint: credentials.tokenHint };
  return {
    client,
    url: credentials.url,
    fail: (error) => toCliError(error, context),
    dispose: async () => {
      await client.dispose();
    },
  };
};

/** Runs a query or mutation over the socket and resolves its data; errors reject as ChatCliError. */
export const execute = <T>(connection: Connection, payload: SubscribePayload): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    let result: FormattedExecutionResult<T, unknown> | undefined;
    connection.client.subscribe<T>(payload, {
      next: (value) => (result = value),
      error: (error) => reject(connection.fail(error)),
      complete: () => {
        if (result?.errors?.length) return reject(new ChatCliError(graphqlErrorLines(result.errors), false));
        if (result?.data) return resolve(result.data);
        reject(new ChatCliError('the server answered without data', false));
      },
    });
  });
