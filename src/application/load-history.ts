import type { HistoryEntry } from '../domain/chat/chat-types';
import type { ConversationReader, ConversationScope, HistoryCache } from '../domain/chat/ports';
import { AppError } from '../domain/errors';

/**
 * Ownership first (the cached marker, else the database), then history: the Redis list, or on
 * a miss the newest `limit` persisted messages (the caller backfills the cache with them).
 */
export const loadHistory = async (deps: {
  conversations: ConversationReader;
  cache: HistoryCache;
  scope: ConversationScope;
  limit: number;
}): Promise<{ entries: HistoryEntry[]; cached: boolean }> => {
  const { scope } = deps;
  if (!(await deps.cache.isOwned(scope))) {
    const owner = await deps.conversations.ownerOf(scope.conversationId);
    if (owner !== null && owner !== scope.userId) throw new AppError('CONVERSATION_NOT_FOUND', `conversation ${scope.conversationId} not found`);
  }
  const cached = await deps.cache.read(scope);
  if (cached) return { entries: cached, cached: true };
  return { entries: await deps.conversations.recentHistory(scope.conversationId, deps.limit), cached: false };
};
