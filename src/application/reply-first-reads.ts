import type { ChatTurn, ReplyEvent, TurnPromptKey } from '../domain/chat/chat-types';
import type { ReplyCancellations } from '../domain/ports/reply-cancellations';
import type { ReplyStream } from '../domain/ports/reply-stream';
import type { BuildReplyPrompt, ReplyPrompt } from './build-reply-prompt';

/** A read started before it is known to be wanted: its value, or undefined when that one try failed. */
export type Early<T> = Promise<{ value: T } | undefined>;

const tryOnce = <T>(work: Promise<T>): Early<T> =>
  work.then(
    (value) => ({ value }),
    () => undefined,
  );

/** The reads a run starts with, all in flight together; the prompt only for a turn awaiting its reply. */
export interface FirstReads {
  readonly cancelled: Early<boolean>;
  readonly events: Early<ReplyEvent[]>;
  readonly prompt?: Early<ReplyPrompt>;
}

export interface FirstReadsDeps {
  readonly cancellations?: Pick<ReplyCancellations, 'isRequested'>;
  readonly replies: Pick<ReplyStream, 'events'>;
  readonly buildPrompt: BuildReplyPrompt;
}

/**
 * Each first read is tried once, so reads that turn out unwanted (the job's copy of its turn
 * disagreed with the stored one) leave no retries behind; one that failed is done again, with
 * retries, when the run needs its answer (`settle`).
 */
const startReads = (deps: FirstReadsDeps, key: TurnPromptKey, awaiting: boolean): FirstReads => ({
  cancelled: tryOnce(deps.cancellations?.isRequested(key.replyId) ?? Promise.resolve(false)),
  events: tryOnce(
    deps.replies.events({ userId: key.userId, conversationId: key.conversationId, replyId: key.replyId }),
  ),
  ...(awaiting ? { prompt: tryOnce(deps.buildPrompt(key)) } : {}),
});

/** Whether the job's copy of its turn says what the stored turn says about everything the first reads used. */
const sameKey = (copy: TurnPromptKey, turn: ChatTurn) =>
  copy.replyId === turn.replyId &&
  copy.userId === turn.userId &&
  copy.conversationId === turn.conversationId &&
  copy.userSeq === turn.userSeq &&
  copy.model === turn.model;

/**
 * A run's turn and its first reads (the stop flag, what an earlier run streamed, and for an
 * awaiting turn its prompt). With the job's copy of the turn they go out alongside the turn's own
 * read, one or two round trips less before the first token; they are kept only when the stored
 * turn agrees and awaits its reply, and read again for the stored turn otherwise. Null: no turn.
 */
export const readTurnAndFirstReads = async (
  deps: FirstReadsDeps,
  copy: TurnPromptKey | undefined,
  readTurn: () => Promise<ChatTurn | null>,
): Promise<{ turn: ChatTurn; reads: FirstReads } | null> => {
  const early = copy && startReads(deps, copy, true);
  const turn = await readTurn();
  if (!turn) return null;
  const awaiting = turn.status === 'AWAITING';
  const reads = early && copy && awaiting && sameKey(copy, turn) ? early : startReads(deps, turn, awaiting);
  return { turn, reads };
};

/** A first read's answer, or, when its one try failed (or it was never started), `work` through `retried`. */
export const settle = async <T>(
  started: Early<T> | undefined,
  work: () => Promise<T>,
  retried: <U>(work: () => Promise<U>) => Promise<U>,
): Promise<T> => {
  const first = await started;
  return first ? first.value : retried(work);
};
