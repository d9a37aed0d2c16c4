import type { Client } from 'graphql-ws';
import { CHAT_STREAM, type CompletedMessage } from '../../src/cli/chat-client/operations';
import { deferred } from './eventually';

/** The chat client's own operations (src/cli/chat-client/operations.ts): one definition for the CLI, tests and bench. */
export { CHAT_STREAM, SEND_MESSAGE } from '../../src/cli/chat-client/operations';

export interface StreamEvent {
  __typename: 'TokenDelta' | 'ReasoningDelta' | 'ReplyRestarted' | 'ReplyCompleted' | 'ReplyFailed';
  cursor: string;
  replyId: string;
  text?: string;
  message?: CompletedMessage;
  usage?: { promptTokens: number | null; completionTokens: number | null };
  code?: string;
  reason?: string;
  partialMessageId?: string | null;
}

export interface StreamOutcome {
  events: StreamEvent[];
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * Subscribes to chatStream and collects events until the server completes it, an error
 * arrives, or `stopAfter` events were received (then it unsubscribes, like a client leaving).
 */
export const collectStream = (
  client: Client,
  variables: { conversationId: string; replyId?: string; after?: string },
  options: { stopAfter?: number } = {},
) => {
  const done = deferred<StreamOutcome>();
  const events: StreamEvent[] = [];
  const unsubscribe = client.subscribe<{ chatStream: StreamEvent }>(
    { query: CHAT_STREAM, variables },
    {
      next: (result) => {
        if (result.errors) return done.resolve({ events, errors: result.errors as StreamOutcome['errors'] });
        if (result.data) events.push(result.data.chatStream);
        if (options.stopAfter !== undefined && events.length >= options.stopAfter) {
          unsubscribe();
          done.resolve({ events });
        }
      },
      error: (error) => done.resolve({ events, errors: Array.isArray(error) ? error : [{ message: String(error) }] }),
      complete: () => done.resolve({ events }),
    },
  );
  return done.promise;
};

/** The reply text as a subscriber assembles it from token events. */
export const textOf = (events: readonly StreamEvent[], type: StreamEvent['__typename'] = 'TokenDelta') =>
  events
    .filter((e) => e.__typename === type)
    .map((e) => e.text)
    .join('');
