import type { Redis } from 'ioredis';
import type { HistoryEntry } from '../../domain/chat/chat-types';
import type { ConversationScope } from '../../domain/ports/conversation-scope';
import type { HistoryCache } from '../../domain/ports/history-cache';
import { chatKeys, execOrThrow } from './redis-keys';

export interface RedisHistoryCacheOptions {
  readonly client: Redis;
  readonly prefix: string;
  readonly ttlSeconds: number;
}

const isEntry = (value: unknown): value is HistoryEntry => {
  if (typeof value !== 'object' || value === null) return false;
  const { seq, role, content } = value as Record<string, unknown>;
  return typeof seq === 'number' && (role === 'user' || role === 'assistant') && typeof content === 'string';
};

const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

const parseEntry = (raw: string): HistoryEntry | undefined => {
  try {
    const value: unknown = JSON.parse(raw);
    if (!isEntry(value)) return undefined;
    // A bad count is dropped, not trusted: the entry is still whole, and its tokens get counted again.
    return {
      seq: value.seq,
      role: value.role,
      content: value.content,
      ...(isCount(value.tokens) ? { tokens: value.tokens } : {}),
    };
  } catch {
    return undefined;
  }
};

const serialize = (entry: HistoryEntry) =>
  JSON.stringify({
    seq: entry.seq,
    role: entry.role,
    content: entry.content,
    ...(isCount(entry.tokens) ? { tokens: entry.tokens } : {}),
  });

const checkWindow = (window: number) => {
  // LTRIM -0 -1 and slice(-0) both keep everything, so a zero window would silently mean "unbounded".
  if (!Number.isInteger(window) || window < 1)
    throw new RangeError(`history window must be a positive integer, got ${window}`);
};

/**
 * The HistoryCache port on a Redis list per user and conversation, newest last.
 *
 * - `read` is a single LRANGE: Redis deletes a list when it becomes empty, so an empty reply
 *   means "no key" and is reported as a miss (null). An unparsable item also makes it a miss
 *   rather than being skipped, because the rest would be a partial list pretending to be whole;
 *   the caller's database fallback then refills the list and heals it.
 * - `read` does not refresh the TTL. Every send pushes, and pushes refresh it, so active
 *   conversations stay cached anyway; a conversation that is only read expires and is reloaded
 *   from the database, which bounds how long a cache that drifted from the database can live.
 * - `fill` with no entries deletes the list (Redis cannot hold an empty one): the next read misses.
 */
export const createRedisHistoryCache = ({ client, prefix, ttlSeconds }: RedisHistoryCacheOptions): HistoryCache => {
  const keys = chatKeys(prefix);
  return {
    async read(scope: ConversationScope) {
      const raw = await client.lrange(keys.history(scope), 0, -1);
      if (raw.length === 0) return null;
      const entries: HistoryEntry[] = [];
      for (const item of raw) {
        const entry = parseEntry(item);
        if (!entry) return null;
        entries.push(entry);
      }
      return entries;
    },
    async fill(scope, entries, window) {
      checkWindow(window);
      const key = keys.history(scope);
      const kept = entries.slice(-window).map(serialize);
      const multi = client.multi().del(key);
      if (kept.length > 0) multi.rpush(key, ...kept).expire(key, ttlSeconds);
      await execOrThrow(multi);
    },
    async push(scope, entry, window) {
      checkWindow(window);
      const key = keys.history(scope);
      const item = serialize(entry);
      // RPUSHX: append only to a list that exists. If it expired meanwhile, a fresh one-item list
      // would pass for the whole history; leaving it absent makes the next send reload from the database.
      await execOrThrow(client.multi().rpushx(key, item).ltrim(key, -window, -1).expire(key, ttlSeconds));
    },
    async markOwned(scope) {
      await client.set(keys.owner(scope), '1', 'EX', ttlSeconds);
    },
    async isOwned(scope) {
      return (await client.exists(keys.owner(scope))) === 1;
    },
  };
};
