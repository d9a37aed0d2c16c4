import type { HistoryEntry, ModelChoice, PromptMessage, TurnPromptKey } from '../domain/chat/chat-types';
import type { ConversationReader } from '../domain/ports/conversation-reader';
import type { HistoryCache } from '../domain/ports/history-cache';
import type { TokenCounter } from '../domain/ports/token-counter';
import { historyBudget, historyWindow, trimToBudget, type ModelLimits } from '../domain/chat/token-budget';
import type { Logger } from '../domain/ports/logger';

export interface BuildReplyPromptDeps {
  conversations: Pick<ConversationReader, 'recentHistory'>;
  cache: HistoryCache;
  counter: TokenCounter;
  logger: Logger;
  chat: { systemPrompt: string };
  models: Readonly<Record<ModelChoice, ModelLimits & { historyLimit: number }>>;
  /** Told when the cache had lost a write and was refilled from the database. */
  onCacheRepaired?: () => void;
}

export interface ReplyPrompt {
  readonly prompt: PromptMessage[];
  /** The cached history length to keep once the reply is pushed. */
  readonly window: number;
}

/**
 * The cached entries up to and including `seq`, when they can be trusted: one entry per seq
 * (a push racing a refill can repeat one), consecutive, ending with `seq` itself. A gap means
 * a write after some commit never reached the cache (Redis failed, the process died between
 * the commit and the push); the prompt would silently lack that turn, so it counts as a miss.
 */
export const cachedUpTo = (entries: readonly HistoryEntry[] | null, seq: number): HistoryEntry[] | null => {
  if (!entries) return null;
  const bySeq = new Map<number, HistoryEntry>();
  for (const entry of entries) if (entry.seq <= seq) bySeq.set(entry.seq, entry);
  const ordered = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  if (ordered.at(-1)?.seq !== seq) return null;
  return ordered.every((entry, i) => i === 0 || entry.seq === (ordered[i - 1] as HistoryEntry).seq + 1)
    ? ordered
    : null;
};

/**
 * The prompt for one turn, rebuilt from what is committed, so any worker can build it at any
 * time (after a takeover, or for a turn recovered from the database): the system prompt, the
 * history before the user message trimmed oldest-first to the model's budget, the message.
 * History comes from the cache when it holds the turn whole, else from the database (history
 * plus messages still in the outbox), which then refills the cache (best effort).
 */
export const createBuildReplyPrompt = (deps: BuildReplyPromptDeps) => {
  const systemTokens = deps.counter.count(deps.chat.systemPrompt);
  return async (turn: TurnPromptKey): Promise<ReplyPrompt> => {
    const scope = { userId: turn.userId, conversationId: turn.conversationId };
    const limits = deps.models[turn.model];
    const cached = await deps.cache.read(scope).catch((error: unknown) => {
      deps.logger.warn(
        { err: error, conversationId: turn.conversationId },
        'history cache unreadable; reading history from the database',
      );
      return null;
    });
    const fromCache = cachedUpTo(cached, turn.userSeq);
    const loaded = fromCache ?? (await deps.conversations.recentHistory(turn.conversationId, limits.historyLimit + 1));
    // Cached entries carry their count; the rest are counted once, and the refill keeps the counts.
    const counted = new Map<number, number>();
    const tokensOf = (entry: HistoryEntry): number => {
      if (entry.tokens !== undefined) return entry.tokens;
      const tokens = counted.get(entry.seq) ?? deps.counter.count(entry.content);
      counted.set(entry.seq, tokens);
      return tokens;
    };
    const message = loaded.find((entry) => entry.seq === turn.userSeq);
    if (!message)
      throw new Error(`user message ${turn.userSeq} of conversation ${turn.conversationId} is not committed`);
    const earlier = loaded.filter((entry) => entry.seq < turn.userSeq);
    const kept = trimToBudget(earlier, tokensOf, historyBudget(limits, systemTokens, tokensOf(message)));
    const later = loaded.length - earlier.length - 1;
    const window = historyWindow(kept.length + later);
    if (!fromCache) {
      if (cached) {
        deps.onCacheRepaired?.();
        deps.logger.warn(
          { conversationId: turn.conversationId, seq: turn.userSeq },
          'history cache had lost a write; refilled from the database',
        );
      }
      // Counts made here go into the cache; entries trimming never looked at stay uncounted.
      const entries = loaded.map((entry) =>
        counted.has(entry.seq) ? { ...entry, tokens: counted.get(entry.seq) } : entry,
      );
      await deps.cache
        .fill(scope, entries, window)
        .catch((error: unknown) =>
          deps.logger.warn({ err: error, conversationId: turn.conversationId }, 'history cache not refilled'),
        );
    }
    const prompt: PromptMessage[] = [
      { role: 'system', content: deps.chat.systemPrompt },
      ...kept.map(({ role, content }) => ({ role, content })),
      { role: 'user', content: message.content },
    ];
    return { prompt, window };
  };
};

export type BuildReplyPrompt = ReturnType<typeof createBuildReplyPrompt>;
