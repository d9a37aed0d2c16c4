import { openConnection, type Connection } from '../../src/cli/chat-client/connection';
import { streamReply } from '../../src/cli/chat-client/reply-stream';
import type { ChatStreamEvent } from '../../src/cli/chat-client/operations';
import { sleep } from './log';

/** One chatStream subscriber following one reply, as `npm run chat` follows it. */
export interface Watch {
  readonly conversationId: string;
  readonly replyId: string;
  readonly startedAt: number;
  tokens: number;
  restarts: number;
  /** Times the subscriber resubscribed after its socket dropped. */
  resubscribes: number;
  /** When the last event arrived (epoch ms), 0 before the first. */
  lastEventAt: number;
  /**
   * The reply's end as this subscriber saw it; undefined while it waits, 'none' when it gave up
   * without one. REPLY_EXPIRED: the server answered that the reply ended and its events are gone
   * (read it from the conversation's messages), as after a Redis flush.
   */
  end?: 'ReplyCompleted' | 'ReplyFailed' | 'REPLY_EXPIRED' | 'none';
  detail?: string;
}

/** Enough resubscriptions (backoff capped at 4 s) to outlast an api restart on a loaded box. */
const MAX_RESUBSCRIBES = 30;

/**
 * chatStream subscribers over graphql-ws, through the chat client's own code: one socket per
 * user, and on a dropped socket a resubscription from the last cursor seen. Each watch records
 * whether the subscriber ever saw the reply end (ReplyCompleted or ReplyFailed).
 */
export const createSubscribers = (deps: { wsUrl: string; tokenFor: (userId: string) => Promise<string> }) => {
  const connections = new Map<string, Promise<Connection>>();
  const watches: Watch[] = [];
  const running = new Set<Promise<void>>();
  const connectionFor = (userId: string) => {
    let connection = connections.get(userId);
    if (!connection) {
      connection = deps
        .tokenFor(userId)
        .then((token) => openConnection({ url: deps.wsUrl, token, tokenHint: 'chaos token' }));
      connections.set(userId, connection);
    }
    return connection;
  };
  const onEvent = (watch: Watch) => (event: ChatStreamEvent | { __typename: string }) => {
    watch.lastEventAt = Date.now();
    if (event.__typename === 'TokenDelta') watch.tokens += 1;
    else if (event.__typename === 'ReplyRestarted') watch.restarts += 1;
  };

  return {
    watches,
    /** Follows one reply in the background until it ends or the subscriber gives up. */
    watch(userId: string, conversationId: string, replyId: string) {
      const watch: Watch = {
        conversationId,
        replyId,
        startedAt: Date.now(),
        tokens: 0,
        restarts: 0,
        resubscribes: 0,
        lastEventAt: 0,
      };
      watches.push(watch);
      const work = connectionFor(userId)
        .then((connection) =>
          streamReply(
            connection,
            { conversationId, replyId },
            { onEvent: onEvent(watch), onReconnecting: () => (watch.resubscribes += 1), maxRetries: MAX_RESUBSCRIBES },
          ),
        )
        .then(
          (outcome) => {
            if (outcome.kind === 'completed') watch.end = 'ReplyCompleted';
            else if (outcome.kind === 'failed') {
              watch.end = 'ReplyFailed';
              watch.detail = `${outcome.event.code}: ${outcome.event.reason}`;
            } else watch.end = 'none';
          },
          (error: unknown) => {
            watch.detail = (error as Error).message?.split('\n')[0] ?? String(error);
            watch.end = watch.detail.includes('(REPLY_EXPIRED)') ? 'REPLY_EXPIRED' : 'none';
          },
        );
      running.add(work);
      void work.finally(() => running.delete(work));
    },
    /** A reply some subscriber is seeing stream right now (tokens arrived, no end yet), or undefined. */
    midStream: () => watches.find((w) => w.tokens > 0 && w.end === undefined),
    /** Waits for a reply to be caught mid-stream; undefined if none within `timeoutMs`. */
    async waitForMidStream(timeoutMs: number, signal: AbortSignal) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && !signal.aborted) {
        const watch = watches.find((w) => w.tokens > 0 && w.end === undefined);
        if (watch) return watch;
        await sleep(2);
      }
      return undefined;
    },
    /** Lets every subscriber finish (at most `timeoutMs`); the ones still waiting then count as never ended. */
    async settle(timeoutMs: number) {
      await Promise.race([Promise.allSettled([...running]), sleep(timeoutMs)]);
      for (const watch of watches) {
        if (watch.end === undefined) {
          watch.end = 'none';
          watch.detail = `still waiting ${timeoutMs / 1000} s after the run`;
        }
      }
    },
    async close() {
      const open = await Promise.allSettled([...connections.values()]);
      await Promise.all(
        open.map((c) => (c.status === 'fulfilled' ? c.value.dispose().catch(() => undefined) : undefined)),
      );
    },
  };
};

export type Subscribers = ReturnType<typeof createSubscribers>;
