import type { ConversationScope } from './conversation-scope';
import type { HistoryEntry } from '../chat/chat-types';

/**
 * The per-user, per-conversation history cache (a Redis list), newest last.
 * Guarantee: `read` returns null on a miss (no key), never a partial list pretending to be whole.
 */
export interface HistoryCache {
  read(scope: ConversationScope): Promise<HistoryEntry[] | null>;
  /** Replaces the cached list (after a database fallback), keeping the newest `window` entries. */
  fill(scope: ConversationScope, entries: readonly HistoryEntry[], window: number): Promise<void>;
  /** Appends one entry to an existing list (never creates one) and trims it to the newest `window` entries. */
  push(scope: ConversationScope, entry: HistoryEntry, window: number): Promise<void>;
  /** Remembers that this user owns this conversation, so the next send skips the database. */
  markOwned(scope: ConversationScope): Promise<void>;
  isOwned(scope: ConversationScope): Promise<boolean>;
}
