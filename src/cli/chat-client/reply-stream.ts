import { retry, type Attempt } from '../../application/retry';
import type { Scheduler } from '../../domain/ports/scheduler';
import { systemScheduler } from '../../infra/system-scheduler';
import type { Connection } from './connection';
import { ChatCliError, isTransient } from './errors';
import {
  CHAT_STREAM,
  type ChatStreamData,
  type ChatStreamEvent,
  type ReplyFailedEvent,
  type StreamVariables,
} from './operations';

export type ReplyOutcome =
  { kind: 'completed'; messageId: string } | { kind: 'failed'; event: ReplyFailedEvent } | { kind: 'interrupted' };

export interface StreamReplyOptions {
  onEvent: (event: ChatStreamEvent) => void;
  /** Called before each resubscription, with the attempt number (1-based). */
  onReconnecting?: (attempt: number) => void;
  /** Aborting unsubscribes; the server keeps generating and stores the reply anyway. */
  signal?: AbortSignal;
  maxRetries?: number;
  /** The first wait before resubscribing, doubling to 4 s. */
  backoffMs?: number;
  /** Default: the runtime's timers. */
  scheduler?: Scheduler;
}

/** The server completed the subscription without a final event; worth resubscribing. */
class StreamEndedEarly extends Error {}

type Subscription = { kind: 'done'; outcome: ReplyOutcome } | { kind: 'dropped'; error: unknown };

const isTerminal = (event: ChatStreamEvent) =>
  event.__typename === 'ReplyCompleted' || event.__typename === 'ReplyFailed';

const outcomeOf = (event: ChatStreamEvent | undefined): ReplyOutcome | undefined => {
  if (event?.__typename === 'ReplyCompleted') return { kind: 'completed', messageId: event.message.id };
  if (event?.__typename === 'ReplyFailed') return { kind: 'failed', event };
  return undefined;
};

/** One subscription, until it completes, fails or is aborted. */
const subscribeOnce = (
  connection: Connection,
  variables: StreamVariables,
  onEvent: (event: ChatStreamEvent) => void,
  signal?: AbortSignal,
) =>
  new Promise<Subscription>((resolve) => {
    let terminal: ChatStreamEvent | undefined;
    let settled = false;
    const finish = (attempt: Subscription) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      resolve(attempt);
    };
    // A drop after the terminal event loses nothing: the reply is already whole.
    const endWith = (error: unknown) => {
      const outcome = outcomeOf(terminal);
      finish(outcome ? { kind: 'done', outcome } : { kind: 'dropped', error });
    };
    const unsubscribe = connection.client.subscribe<ChatStreamData>(
      { query: CHAT_STREAM, variables: { ...variables } },
      {
        next: (result) => {
          if (settled) return;
          if (result.errors?.length) return endWith(result.errors);
          const event = result.data?.chatStream;
          if (!event) return;
          if (isTerminal(event)) terminal = event;
          onEvent(event);
        },
        error: endWith,
        complete: () => endWith(new StreamEndedEarly('the reply stream ended before the reply finished')),
      },
    );
    const onAbort = () => {
      unsubscribe();
      finish({ kind: 'done', outcome: { kind: 'interrupted' } });
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Streams one reply. When the socket drops mid-reply it resubscribes with `after` set to
 * the last cursor seen, so the server sends only what is missing; cursors already seen are
 * skipped as well, so a token is never printed twice. Retries are bounded and reset
 * whenever an event arrives, so a long reply survives several short outages.
 */
export const streamReply = async (
  connection: Connection,
  variables: StreamVariables,
  options: StreamReplyOptions,
): Promise<ReplyOutcome> => {
  const { maxRetries = 5, backoffMs = 250 } = options;
  const seen = new Set<string>();
  let after = variables.after;
  const subscribe = async (attempt: Attempt): Promise<ReplyOutcome> => {
    const onEvent = (event: ChatStreamEvent) => {
      if (seen.has(event.cursor)) return;
      seen.add(event.cursor);
      after = event.cursor;
      attempt.progressed();
      options.onEvent(event);
    };
    const result = await subscribeOnce(
      connection,
      { ...variables, ...(after === undefined ? {} : { after }) },
      onEvent,
      options.signal,
    );
    if (result.kind === 'done') return result.outcome;
    throw result.error;
  };
  try {
    return await retry(subscribe, {
      policy: { baseMs: backoffMs, capMs: 4_000, jitter: 'none', maxAttempts: maxRetries + 1 },
      scheduler: options.scheduler ?? systemScheduler,
      signal: options.signal,
      isRetryable: isTransient,
      onRetry: ({ attempt }) => options.onReconnecting?.(attempt),
    });
  } catch (error) {
    // Aborted while waiting to resubscribe: the user stopped watching, which is no failure.
    if (options.signal?.aborted) return { kind: 'interrupted' };
    throw error instanceof StreamEndedEarly ? new ChatCliError(error.message, false) : connection.fail(error);
  }
};
