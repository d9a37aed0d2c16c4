import { randomUUID } from 'node:crypto';
import type { HistoryEntry } from '../../src/domain/chat/chat-types';
import type { ConversationScope } from '../../src/domain/ports/conversation-scope';
import { createLogger } from '../../src/infra/logger';
import { createRedis } from '../../src/infra/redis/create-redis';
import { createRedisHistoryCache } from '../../src/infra/redis/redis-history-cache';
import { testConfig } from '../support/test-config';

const TTL_SECONDS = 300;

const entry = (seq: number): HistoryEntry => ({
  seq,
  role: seq % 2 === 0 ? 'assistant' : 'user',
  content: `message ${seq}`,
});
const entries = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => entry(from + i));

describe('Redis history cache', () => {
  const config = testConfig();
  const prefix = config.redis.prefix;
  const redis = createRedis(config.redis, createLogger({ level: 'silent' }));
  const cache = () => createRedisHistoryCache({ client: redis.client(), prefix, ttlSeconds: TTL_SECONDS });
  const newScope = (userId = randomUUID()): ConversationScope => ({ userId, conversationId: randomUUID() });
  const historyKey = (scope: ConversationScope) => `${prefix}:chat:hist:${scope.userId}:${scope.conversationId}`;

  beforeAll(() => redis.start());
  afterAll(async () => {
    const keys = await redis.client().keys(`${prefix}:*`);
    if (keys.length > 0) await redis.client().del(...keys);
    await redis.stop();
  });

  it('returns null on a miss', async () => {
    await expect(cache().read(newScope())).resolves.toBeNull();
  });

  it('fill keeps the newest `window` entries, oldest first', async () => {
    const scope = newScope();
    await cache().fill(scope, entries(1, 10), 4);
    await expect(cache().read(scope)).resolves.toEqual(entries(7, 10));
  });

  it('fill replaces what was cached', async () => {
    const scope = newScope();
    await cache().fill(scope, entries(1, 3), 10);
    await cache().fill(scope, entries(5, 6), 10);
    await expect(cache().read(scope)).resolves.toEqual(entries(5, 6));
  });

  it('fill with no entries leaves a miss, never an empty list posing as history', async () => {
    const scope = newScope();
    await cache().fill(scope, entries(1, 3), 10);
    await cache().fill(scope, [], 10);
    await expect(cache().read(scope)).resolves.toBeNull();
  });

  it('keeps token counts through fill and push, and drops a malformed count but not its entry', async () => {
    const scope = newScope();
    await cache().fill(scope, [{ ...entry(1), tokens: 7 }, entry(2)], 10);
    await cache().push(scope, { ...entry(3), tokens: 0 }, 10);
    await redis
      .client()
      .rpush(
        historyKey(scope),
        JSON.stringify({ ...entry(4), tokens: -1 }),
        JSON.stringify({ ...entry(5), tokens: '9' }),
      );
    await expect(cache().read(scope)).resolves.toEqual([
      { ...entry(1), tokens: 7 },
      entry(2),
      { ...entry(3), tokens: 0 },
      entry(4),
      entry(5),
    ]);
  });

  it('push appends newest last and trims to the window', async () => {
    const scope = newScope();
    await cache().fill(scope, entries(1, 3), 4);
    for (const seq of [4, 5, 6]) await cache().push(scope, entry(seq), 4);
    await expect(cache().read(scope)).resolves.toEqual(entries(3, 6));
    await expect(redis.client().llen(historyKey(scope))).resolves.toBe(4);
  });

  it('keeps two users apart for the same conversation id', async () => {
    const alice = newScope();
    const bob: ConversationScope = { userId: randomUUID(), conversationId: alice.conversationId };
    await cache().fill(alice, entries(1, 2), 10);
    await cache().markOwned(alice);
    await expect(cache().read(bob)).resolves.toBeNull();
    await expect(cache().isOwned(bob)).resolves.toBe(false);
    await cache().fill(bob, [entry(9)], 10);
    await expect(cache().read(alice)).resolves.toEqual(entries(1, 2));
    await expect(cache().read(bob)).resolves.toEqual([entry(9)]);
  });

  it('never creates a list on push, so an expired history is reloaded rather than mistaken for a whole one', async () => {
    const scope = newScope();
    await cache().push(scope, entry(5), 10);
    await expect(cache().read(scope)).resolves.toBeNull();
  });

  it('sets a TTL on the list (fill and push) and on the owner marker', async () => {
    const scope = newScope();
    await cache().fill(scope, entries(1, 2), 10);
    await redis.client().persist(historyKey(scope));
    await cache().push(scope, entry(3), 10);
    const listTtl = await redis.client().pttl(historyKey(scope));
    expect(listTtl).toBeGreaterThan(0);
    expect(listTtl).toBeLessThanOrEqual(TTL_SECONDS * 1000);
    await cache().markOwned(scope);
    await expect(cache().isOwned(scope)).resolves.toBe(true);
    const ownerTtl = await redis.client().pttl(`${prefix}:chat:owner:${scope.userId}:${scope.conversationId}`);
    expect(ownerTtl).toBeGreaterThan(0);
    expect(ownerTtl).toBeLessThanOrEqual(TTL_SECONDS * 1000);
  });

  it('reports a list with an unparsable item as a miss instead of throwing or returning part of it', async () => {
    const scope = newScope();
    await cache().fill(scope, entries(1, 2), 10);
    await redis.client().rpush(historyKey(scope), 'not json', JSON.stringify({ seq: 'x' }));
    await expect(cache().read(scope)).resolves.toBeNull();
  });

  it('rejects ids that could forge another key', async () => {
    await expect(cache().read({ userId: 'a:b', conversationId: 'c' })).rejects.toThrow(/userId/);
    await expect(cache().markOwned({ userId: 'a', conversationId: 'c d' })).rejects.toThrow(/conversationId/);
    await expect(cache().isOwned({ userId: '', conversationId: 'c' })).rejects.toThrow(/userId/);
  });

  it('rejects a window that is not a positive integer', async () => {
    await expect(cache().push(newScope(), entry(1), 0)).rejects.toThrow(RangeError);
  });
});
