import type { CursoredReplyEvent } from '../domain/chat/chat-types';
import type { ChatTurns } from '../domain/ports/chat-turns';
import type { ConversationReader } from '../domain/ports/conversation-reader';
import type { ReplyRef } from '../domain/ports/conversation-scope';
import type { HistoryCache } from '../domain/ports/history-cache';
import type { ReplyStream } from '../domain/ports/reply-stream';
import { normaliseId } from '../domain/chat/send-message-input';
import { isStreamCursor } from '../domain/chat/stream-cursor';
import { AppError } from '../domain/errors';
import type { Logger } from '../domain/ports/logger';
import type { Scheduler } from '../domain/ports/scheduler';

/** What a chatStream subscriber receives: an event, or the one failure that ends the stream. */
export type ChatStreamItem = CursoredReplyEvent | { readonly failure: AppError };

/**
 * Where a reply that has no stream stands: being generated or about to be ('pending'), finished
 * with its stream expired ('ended'), or not known in this user's conversation ('unknown').
 */
export type ReplyState = 'pending' | 'ended' | 'unknown';

export interface StreamChatDeps {
  conversations: Pick<ConversationReader, 'ownerOf'>;
  cache: Pick<HistoryCache, 'isOwned'>;
  replies: ReplyStream;
  /** Asked only for a reply without a stream (see `replyStateFromTurns`). */
  replyState: (reply: ReplyRef) => Promise<ReplyState>;
  logger: Logger;
  /** A subscription that received no event for this long completes. */
  idleTimeoutMs: number;
  /** How long an 'unknown' reply may take to show up (sendMessage answers before generation starts) before NOT_FOUND. */
  startGraceMs?: number;
  /** The pause between looks during that grace. */
  startPollMs?: number;
  /**
   * How long a reply whose turn is REPLIED but whose stream is missing may take to show its
   * stream before REPLY_EXPIRED. The generator commits the reply (turn REPLIED) and then appends
   * its last event, so a reply that failed before its first token has no stream for that moment;
   * a subscriber arriving then must wait for the end event, not be told the stream expired.
   */
  endedSettleMs?: number;
  /** The grace's clock. */
  scheduler: Scheduler;
}

/** A few Redis round trips at most: the end event follows its commit by milliseconds. */
const ENDED_SETTLE_MS = 2_000;

/**
 * ReplyState from the database: the send's turn is written with the user message, before
 * sendMessage answers, so a reply without a turn in this user's conversation is unknown at once
 * (no grace needed). A turn deleted by retention leaves the committed message to tell 'ended'.
 */
export const replyStateFromTurns =
  (deps: { turns: Pick<ChatTurns, 'get'>; conversations: Pick<ConversationReader, 'committedMessage'> }) =>
  async (reply: ReplyRef): Promise<ReplyState> => {
    const turn = await deps.turns.get(reply.replyId);
    if (turn && turn.userId === reply.userId && turn.conversationId === reply.conversationId)
      return turn.status === 'REPLIED' ? 'ended' : 'pending';
    return (await deps.conversations.committedMessage(reply.conversationId, reply.replyId)) ? 'ended' : 'unknown';
  };

/**
 * A reply with no stream yet: follow it when it is pending, refuse it as REPLY_EXPIRED when it
 * ended and its stream does not appear within `endedSettleMs`, and give an unknown one the grace
 * (sendMessage answers before the generator starts) before NOT_FOUND. A reader is never left
 * polling a stream that will not come.
 */
const awaitStart = async (deps: StreamChatDeps, ref: ReplyRef) => {
  const start = deps.scheduler.now().getTime();
  const pollMs = deps.startPollMs ?? 200;
  for (;;) {
    const state = await deps.replyState(ref);
    if (state === 'pending' || (await deps.replies.exists(ref))) return;
    const waited = deps.scheduler.now().getTime() - start;
    if (state === 'ended' && waited >= (deps.endedSettleMs ?? ENDED_SETTLE_MS)) {
      throw new AppError(
        'REPLY_EXPIRED',
        `reply ${ref.replyId} has ended and its events are no longer kept; read it from the conversation's messages`,
      );
    }
    if (state === 'unknown' && waited >= (deps.startGraceMs ?? 0))
      throw new AppError('NOT_FOUND', `reply ${ref.replyId} not found in this conversation`);
    await deps.scheduler.sleep(state === 'ended' ? Math.min(pollMs, 50) : pollMs);
  }
};

/**
 * A store failure mid-stream (Redis down, a command refused) ends this subscription with a typed
 * SERVICE_UNAVAILABLE and a log line; thrown from the iterator instead, graphql-ws would close the
 * whole socket and every sibling subscription with it.
 */
async function* endingOnFailure(
  source: AsyncIterable<CursoredReplyEvent>,
  ref: ReplyRef,
  logger: Logger,
): AsyncGenerator<ChatStreamItem> {
  try {
    yield* source;
  } catch (error) {
    logger.error(
      { err: error, replyId: ref.replyId, conversationId: ref.conversationId },
      'chatStream ended by a reply-stream failure',
    );
    yield {
      failure: new AppError('SERVICE_UNAVAILABLE', 'the reply stream is unavailable; resume from your last cursor', {
        cause: error,
      }),
    };
  }
}

/** The id normalised, or undefined when it is not one (the caller's own check reports that, in its turn). */
const validId = (id: string) => {
  try {
    return normaliseId(id, 'replyId');
  } catch {
    return undefined;
  }
};

/**
 * chatStream: the caller's own conversation only (others look missing); the given reply, or
 * the conversation's latest one; every event after `after`, once, in order.
 */
export const createStreamChat =
  (deps: StreamChatDeps) =>
  async (input: {
    userId: string;
    conversationId: string;
    replyId?: string | null;
    after?: string | null;
    signal?: AbortSignal;
  }): Promise<AsyncIterable<ChatStreamItem>> => {
    const scope = { userId: input.userId, conversationId: normaliseId(input.conversationId, 'conversationId') };
    if (input.after && !isStreamCursor(input.after))
      throw new AppError('BAD_USER_INPUT', 'after is not a cursor from this stream');
    // With the reply named, whether its stream exists is asked alongside the owner marker (one
    // Redis round trip before the first event, not two); the answer is used only once the
    // conversation is known to be the caller's, and the keys are the caller's own anyway.
    const named = input.replyId ? validId(input.replyId) : undefined;
    const streamExists = named ? deps.replies.exists({ ...scope, replyId: named }) : undefined;
    streamExists?.catch(() => undefined);
    const owned =
      (await deps.cache.isOwned(scope)) || (await deps.conversations.ownerOf(scope.conversationId)) === scope.userId;
    if (!owned) throw new AppError('CONVERSATION_NOT_FOUND', `conversation ${scope.conversationId} not found`);
    const replyId = input.replyId ? normaliseId(input.replyId, 'replyId') : await deps.replies.latestReply(scope);
    if (!replyId)
      throw new AppError(
        'NOT_FOUND',
        'this conversation has no reply to stream yet; pass the replyId from sendMessage',
      );
    const ref = { ...scope, replyId };
    if (!(await (replyId === named && streamExists ? streamExists : deps.replies.exists(ref))))
      await awaitStart(deps, ref);
    const source = deps.replies.read(ref, {
      after: input.after ?? undefined,
      signal: input.signal,
      idleTimeoutMs: deps.idleTimeoutMs,
    });
    return endingOnFailure(source, ref, deps.logger);
  };

export type StreamChat = ReturnType<typeof createStreamChat>;
