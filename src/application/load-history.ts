import type { HistoryEntry } from '../domain/chat/chat-types';
import type { ConversationReader, ConversationScope, HistoryCache } from '../domain/chat/ports';
import { AppError } from '../domain/errors';

/**
 * Ownership (the cached marker, else the database) and history: the Redis list, or on a miss the
 * newest `limit` persisted messages (the caller backfills the cache with them). The marker and the
 * list are read together (one round trip); both keys carry the user id, so a list read for a user
 * who turns out not to own the conversation is that user's own (empty) key, and is dropped.
 */
export const loadHistory = async (deps: {
  conversations: ConversationReader;
  cache: HistoryCache;
  scope: ConversationScope;
  limit: number;
}): Promise<{ entries: HistoryEntry[]; cached: boolean }> => {
  const { scope } = deps;
  const [owned, cached] = await Promise.all([deps.cache.isOwned(scope), deps.cache.read(scope)]);
  if (!owned) {
    const owner = await deps.conversations.ownerOf(scope.conversationId);
    if (owner !== null && owner !== scope.userId) throw new AppError('CONVERSATION_NOT_FOUND', `conversation ${scope.conversationId} not found`);
  }
  if (cached) return { entries: cached, cached: true };
  return { entries: await deps.conversations.recentHistory(scope.conversationId, deps.limit), cached: false };
};
