import type { ChatTurn, ModelChoice } from '../domain/chat/chat-types';
import type { ChatModel } from '../domain/ports/chat-model';
import type { CommittedMessage, ConversationReader } from '../domain/ports/conversation-reader';
import type { ConversationScope } from '../domain/ports/conversation-scope';
import type { HistoryCache } from '../domain/ports/history-cache';
import type { Logger } from '../domain/ports/logger';
import type { TokenCounter } from '../domain/ports/token-counter';
import type { AppendChatMessages, AppendedMessage } from './append-chat-messages.use-case';
import type { Draft } from './reply-stream-writer';

/** One reply of a turn: who asked, which model; `window` (the cached history length) once its prompt is built. */
export interface Reply {
  readonly scope: ConversationScope;
  readonly replyId: string;
  readonly choice: ModelChoice;
  readonly thinking: boolean;
  readonly traceparent?: string;
  readonly window?: number;
  /** This run's number (BullMQ's count of the job's starts): fences the stream against earlier runs. */
  readonly fence?: number;
}

export const replyOf = (turn: ChatTurn): Reply => ({
  scope: { userId: turn.userId, conversationId: turn.conversationId },
  replyId: turn.replyId,
  choice: turn.model,
  thinking: turn.thinking,
  traceparent: turn.traceparent ?? undefined,
});

export interface StoreReplyDeps {
  readonly append: AppendChatMessages;
  readonly conversations: Pick<ConversationReader, 'committedMessage'>;
  readonly cache: Pick<HistoryCache, 'push'>;
  readonly counter: TokenCounter;
  readonly model: Pick<ChatModel, 'modelName'>;
  readonly logger: Logger;
  readonly onCacheWriteFailed?: () => void;
  /** Retries the store as every database step of a reply is retried (generate-reply.use-case.ts). */
  readonly persistently: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * Stores the draft as the reply's message, unless a message with the reply id is committed
 * already: then that one is the reply's (`theirs` when another run stored it, e.g. a worker
 * that had lost its job and finished anyway), and nothing is appended a second time.
 */
export const storeReply = async (
  deps: StoreReplyDeps,
  job: Reply,
  draft: Draft,
  partial: boolean,
): Promise<{ saved: AppendedMessage; theirs: CommittedMessage | null }> => {
  const message = {
    messageId: job.replyId,
    role: 'assistant' as const,
    content: draft.content,
    reasoning: draft.reasoning || null,
    model: deps.model.modelName(job.choice),
    promptTokens: draft.promptTokens,
    completionTokens: draft.completionTokens,
    partial,
  };
  const { conversationId, userId } = job.scope;
  // The writer stores the message only while its turn awaits the reply (the turn's row lock
  // orders two runs), so another run that stored it first, or an earlier attempt of this run
  // that committed with only its answer lost, makes it write nothing; the message stored is
  // then looked up. A retry looks first, sparing a transaction that would be rolled back.
  let attempt = 0;
  const stored = () => deps.conversations.committedMessage(conversationId, job.replyId);
  const saved = await deps.persistently<AppendedMessage | CommittedMessage>(async () => {
    attempt += 1;
    const earlier = attempt > 1 ? await stored() : null;
    if (earlier) return earlier;
    const result = await deps.append({
      conversationId,
      userId,
      messages: [message],
      traceparent: job.traceparent,
      completesTurn: job.replyId,
    });
    if (result.turnNotAwaiting) {
      const committed = await stored();
      if (committed) return committed;
      throw new Error(`reply ${job.replyId}: its turn no longer awaits it, yet no message is stored under its id`);
    }
    const first = result.messages[0];
    if (!first) throw new Error('writer returned no message');
    return first;
  });
  const theirs =
    'payload' in saved && (saved.payload.content !== draft.content || saved.payload.partial !== partial) ? saved : null;
  // The message is stored: a cache that missed it is refilled when the next prompt finds the gap.
  // Without a built prompt (a give-up) the window is unknown, and that refill does the caching.
  if (job.window !== undefined && !theirs) {
    await deps.cache
      .push(
        job.scope,
        { seq: saved.seq, role: 'assistant', content: draft.content, tokens: deps.counter.count(draft.content) },
        job.window,
      )
      .catch((error: unknown) => {
        deps.onCacheWriteFailed?.();
        deps.logger.warn({ err: error, replyId: job.replyId }, 'reply stored but not cached');
      });
  }
  return { saved, theirs };
};
