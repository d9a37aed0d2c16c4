import type { HistoryEntry } from '../../../src/domain/chat/chat-types';
import type { ConversationScope } from '../../../src/domain/ports/conversation-scope';
import type { HistoryCache } from '../../../src/domain/ports/history-cache';

export interface InMemoryHistoryCache extends HistoryCache {
  /** The cached list of a conversation as stored (undefined when absent). */
  entries(scope: ConversationScope): readonly HistoryEntry[] | undefined;
}

const keyOf = (scope: ConversationScope) => `${scope.userId}/${scope.conversationId}`;

/** The HistoryCache contract in memory: push appends only to an existing list, fill with nothing deletes it. */
export const createInMemoryHistoryCache = (): InMemoryHistoryCache => {
  const lists = new Map<string, HistoryEntry[]>();
  const owned = new Set<string>();
  return {
    entries: (scope) => lists.get(keyOf(scope)),
    async read(scope) {
      const list = lists.get(keyOf(scope));
      return list ? [...list] : null;
    },
    async fill(scope, entries, window) {
      if (entries.length === 0) lists.delete(keyOf(scope));
      else lists.set(keyOf(scope), entries.slice(-window));
    },
    async push(scope, entry, window) {
      const list = lists.get(keyOf(scope));
      if (list) lists.set(keyOf(scope), [...list, entry].slice(-window));
    },
    async markOwned(scope) {
      owned.add(keyOf(scope));
    },
    async isOwned(scope) {
      return owned.has(keyOf(scope));
    },
  };
};
