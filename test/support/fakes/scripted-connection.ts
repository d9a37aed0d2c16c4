import type { Client, Sink } from 'graphql-ws';
import type { Connection } from '../../../src/cli/chat-client/connection';
import { toCliError } from '../../../src/cli/chat-client/errors';

/** What the chat client hands graphql-ws for every operation (queries, mutations and the stream). */
export type OperationPayload = { query: string; variables?: Record<string, unknown> | null };

/**
 * A chat-CLI connection over a fake graphql-ws client: the test scripts `subscribe`, which the
 * client uses for every operation, and gets the CLI's own error mapping and a no-op dispose.
 */
export const scriptedConnection = (subscribe: (payload: OperationPayload, sink: Sink) => () => void): Connection => ({
  client: { subscribe } as unknown as Client,
  url: 'ws://test',
  fail: (error) => toCliError(error, { url: 'ws://test' }),
  dispose: async () => undefined,
});
