import type { ModelChoice, PromptMessage } from '../domain/chat/chat-types';
import { ModelError } from '../domain/chat/model-error';
import type { ChatModel, ConversationReader, ConversationScope, HistoryCache, ReplyStream, TokenCounter } from '../domain/chat/ports';
import type { Logger } from '../domain/ports/logger';
import type { AppendChatMessages, AppendedMessage } from './append-chat-messages.use-case';
import { createReplyDeltaWriter } from './reply-delta-writer';

export interface ReplyJob {
  readonly scope: ConversationScope;
  readonly replyId: string;
  readonly choice: ModelChoice;
  readonly thinking: boolean;
  readonly prompt: readonly PromptMessage[];
  readonly window: number;
  readonly traceparent?: string;
}

export interface GenerateReplyDeps {
  model: ChatModel;
  replies: ReplyStream;
  append: AppendChatMessages;
  /** Before a retry: did the failed attempt commit after all? */
  conversations: Pick<ConversationReader, 'committedMessage'>;
  cache: HistoryCache;
  /** Counts the reply once, here, so no later send has to count it again. */
  counter: TokenCounter;
  logger: Logger;
  /** Writer retries before the reply is reported failed (database briefly down). */
  persistAttempts?: number;
}

interface Draft {
  content: string;
  reasoning: string;
  promptTokens: number | null;
  completionTokens: number | null;
}

const retry = async <T>(attempts: number, work: (attempt: number) => Promise<T>): Promise<T> => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work(attempt);
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }
};

/**
 * Streams one reply into the reply stream and persists it through the outbox, whether or not
 * anyone is listening. A model failure becomes a FAILED event with its code; text produced
 * before it is stored as a partial message, never dropped.
 */
export const createGenerateReply = (deps: GenerateReplyDeps) => {
  const persist = async (job: ReplyJob, draft: Draft, partial: boolean): Promise<AppendedMessage> => {
    const message = { messageId: job.replyId, role: 'assistant' as const, content: draft.content, reasoning: draft.reasoning || null, model: deps.model.modelName(job.choice), promptTokens: draft.promptTokens, completionTokens: draft.completionTokens, partial };
    const { conversationId, userId } = job.scope;
    // A failed attempt may have committed with only its answer lost: appending again would store
    // a second event for the message under a new seq, so a retry first looks for the first one.
    const appended = await retry(deps.persistAttempts ?? 5, async (attempt) => {
      const committed = attempt > 1 ? await deps.conversations.committedMessage(conversationId, job.replyId) : null;
      if (committed) return committed;
      const result = await deps.append({ conversationId, userId, messages: [message], traceparent: job.traceparent, completesTurn: job.replyId });
      const first = result.messages[0];
      if (!first) throw new Error('writer returned no message');
      return first;
    });
    await deps.cache.push(job.scope, { seq: appended.seq, role: 'assistant', content: draft.content, tokens: deps.counter.count(draft.content) }, job.window);
    return appended;
  };

  const stream = async (job: ReplyJob, draft: Draft, signal?: AbortSignal) => {
    const target = { ...job.scope, replyId: job.replyId };
    const deltas = createReplyDeltaWriter((delta) => deps.replies.append(target, delta));
    try {
      for await (const event of deps.model.stream({ choice: job.choice, messages: job.prompt, thinking: job.thinking, signal })) {
        if (event.type === 'token') {
          draft.content += event.text;
          deltas.push({ kind: 'TOKEN', text: event.text });
        } else if (event.type === 'reasoning') {
          draft.reasoning += event.text;
          deltas.push({ kind: 'REASONING', text: event.text });
        } else {
          draft.promptTokens = event.promptTokens;
          draft.completionTokens = event.completionTokens;
        }
      }
    } catch (error) {
      // Whatever was streamed reaches the stream before the FAILED event; the model's error wins.
      await deltas.drain().catch(() => undefined);
      throw error;
    }
    await deltas.drain();
  };

  return async (job: ReplyJob, signal?: AbortSignal): Promise<void> => {
    const target = { ...job.scope, replyId: job.replyId };
    const draft: Draft = { content: '', reasoning: '', promptTokens: null, completionTokens: null };
    try {
      await stream(job, draft, signal);
    } catch (error) {
      const code = error instanceof ModelError ? error.code : signal?.aborted ? 'MODEL_STREAM_CUT' : 'INTERNAL';
      deps.logger.warn({ err: error, replyId: job.replyId, code }, 'reply generation failed');
      const partial = draft.content ? await persist(job, draft, true) : undefined;
      await deps.replies.append(target, { kind: 'FAILED', code, message: error instanceof ModelError ? error.message : 'reply generation failed', partialMessageId: partial ? job.replyId : null });
      return;
    }
    const saved = await persist(job, draft, false);
    await deps.replies.append(target, {
      kind: 'COMPLETED',
      message: { id: job.replyId, seq: saved.seq, content: draft.content, reasoning: draft.reasoning || null, model: deps.model.modelName(job.choice), promptTokens: draft.promptTokens, completionTokens: draft.completionTokens, createdAt: saved.createdAt.toISOString() },
    });
  };
};

export type GenerateReply = ReturnType<typeof createGenerateReply>;
