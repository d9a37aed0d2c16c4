import type { HistoryEntry, ModelChoice, PromptMessage } from '../domain/chat/chat-types';
import type { ConversationReader, ConversationScope, HistoryCache, TokenCounter } from '../domain/chat/ports';
import { toSendMessageCommand, type RawSendMessageInput } from '../domain/chat/send-message-input';
import { historyBudget, historyWindow, trimToBudget, type ModelLimits } from '../domain/chat/token-budget';
import { AppError } from '../domain/errors';
import type { IdGenerator } from '../domain/ports/id-generator';
import type { RateLimiter } from '../domain/ports/rate-limiter';
import type { AppendChatMessages } from './append-chat-messages.use-case';
import type { ReplyJob } from './generate-reply.use-case';
import { loadHistory } from './load-history';

export interface SendMessageDeps {
  /** Per-user limit on sends, checked before anything is read or written. */
  rateLimiter: RateLimiter;
  conversations: ConversationReader;
  cache: HistoryCache;
  append: AppendChatMessages;
  counter: TokenCounter;
  ids: IdGenerator;
  /** Starts generation detached from the request: it outlives the caller's connection. */
  startReply: (job: ReplyJob) => void;
  chat: { systemPrompt: string; maxContentChars: number };
  models: Readonly<Record<ModelChoice, ModelLimits & { historyLimit: number }>>;
}

export interface SendMessageResult {
  conversation: { id: string; createdAt: Date; created: boolean };
  userMessage: { id: string; seq: number; createdAt: Date };
  replyId: string;
}

/**
 * sendMessage: validate, check ownership (another user's conversation looks missing), load
 * history (cache, else database plus backfill), trim it to the model's token budget, write
 * the user message through the outbox writer, then start the reply detached and return.
 */
export const createSendMessage = (deps: SendMessageDeps) => {
  // The system prompt is fixed for the process: count its tokens once, not on every send.
  const systemTokens = deps.counter.count(deps.chat.systemPrompt);
  return async (input: { userId: string; raw: RawSendMessageInput; traceparent?: string }): Promise<SendMessageResult> => {
    const quota = await deps.rateLimiter.consume(input.userId);
    if (!quota.allowed) throw new AppError('RATE_LIMITED', `too many messages; retry in ${quota.retryAfterSeconds} s`);
    const command = toSendMessageCommand(input.raw, { maxContentChars: deps.chat.maxContentChars, newId: deps.ids.uuid });
    const scope: ConversationScope = { userId: input.userId, conversationId: command.conversationId };
    const limits = deps.models[command.model];
    const contentTokens = deps.counter.count(command.content);
    const budget = historyBudget(limits, systemTokens, contentTokens);
    if (budget < 0) throw new AppError('BAD_USER_INPUT', `content does not fit the ${command.model} model's context window`);
    const history = command.isNew ? { entries: [], cached: false } : await loadHistory({ ...deps, scope, limit: limits.historyLimit });
    // Cached entries carry their count; the rest are counted lazily (trimming stops at the budget) and remembered.
    const counted = new Map<HistoryEntry, number>();
    const tokensOf = (entry: HistoryEntry): number => {
      if (entry.tokens !== undefined) return entry.tokens;
      const tokens = counted.get(entry) ?? deps.counter.count(entry.content);
      counted.set(entry, tokens);
      return tokens;
    };
    const kept = trimToBudget(history.entries, tokensOf, budget);
    const window = historyWindow(kept.length);

    const appended = await deps.append({ conversationId: command.conversationId, userId: input.userId, messages: [{ role: 'user', content: command.content }], traceparent: input.traceparent });
    const message = appended.messages[0];
    if (!message) throw new Error('writer returned no message');
    const entry: HistoryEntry = { seq: message.seq, role: 'user', content: command.content, tokens: contentTokens };
    // A new conversation or a cache miss (re)creates the list whole, with the counts made here; otherwise append to it.
    const refill = () => [...history.entries.map((e) => (counted.has(e) ? { ...e, tokens: counted.get(e) } : e)), entry];
    const cacheWrite = history.cached && !command.isNew ? deps.cache.push(scope, entry, window) : deps.cache.fill(scope, refill(), window);
    await Promise.all([cacheWrite, deps.cache.markOwned(scope)]);

    const replyId = deps.ids.uuid();
    const prompt: PromptMessage[] = [{ role: 'system', content: deps.chat.systemPrompt }, ...kept, { role: 'user', content: command.content }];
    deps.startReply({ scope, replyId, choice: command.model, thinking: command.thinking, prompt, window, traceparent: input.traceparent });
    return {
      conversation: { id: command.conversationId, createdAt: message.createdAt, created: appended.created },
      userMessage: { id: message.messageId, seq: message.seq, createdAt: message.createdAt },
      replyId,
    };
  };
};

export type SendMessage = ReturnType<typeof createSendMessage>;
