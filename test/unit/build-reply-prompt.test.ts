import { cachedUpTo, createBuildReplyPrompt } from '../../src/application/build-reply-prompt';
import type { ChatTurn, HistoryEntry } from '../../src/domain/chat/chat-types';
import { aChatTurn } from '../support/builders';
import { createInMemoryHistoryCache } from '../support/fakes/in-memory-history-cache';
import { createRecordingLogger } from '../support/fakes/recording-logger';

const SYSTEM_PROMPT = 'You are terse.';
const conversationId = '00000000-0000-4000-8000-0000000000aa';
const scope = { userId: 'u1', conversationId };

/** One token per word; records every text it was asked to count. */
const createWordCounter = () => {
  const counted: string[] = [];
  return { counted, count: (text: string) => (counted.push(text), text.split(/\s+/).filter(Boolean).length) };
};

const aTurn = (userSeq: number): ChatTurn =>
  aChatTurn({ replyId: '00000000-0000-4000-8000-0000000000ff', conversationId, userSeq });

const setup = (options: { committed: HistoryEntry[]; contextTokens?: number }) => {
  const counter = createWordCounter();
  const cache = createInMemoryHistoryCache();
  const logger = createRecordingLogger();
  let repairs = 0;
  let reads = 0;
  const limits = { contextTokens: options.contextTokens ?? 10_000, maxOutputTokens: 100, historyLimit: 50 };
  const build = createBuildReplyPrompt({
    conversations: { recentHistory: async (_id, limit) => ((reads += 1), options.committed.slice(-limit)) },
    cache,
    counter,
    logger,
    chat: { systemPrompt: SYSTEM_PROMPT },
    models: { WORKER: limits, STRATEGIST: limits },
    onCacheRepaired: () => (repairs += 1),
  });
  return { build, cache, counter, logger, repairs: () => repairs, reads: () => reads };
};

const committed: HistoryEntry[] = [
  { seq: 1, role: 'user', content: 'first question here' },
  { seq: 2, role: 'assistant', content: 'first answer' },
  { seq: 3, role: 'user', content: 'second question' },
];

describe('build reply prompt', () => {
  it('builds system prompt, history and the message from the database on a miss, and refills the cache with counts', async () => {
    const { build, cache, repairs } = setup({ committed });
    const { prompt } = await build(aTurn(3));
    expect(prompt.map((m) => m.content)).toEqual([
      SYSTEM_PROMPT,
      'first question here',
      'first answer',
      'second question',
    ]);
    expect(cache.entries(scope)?.map((e) => e.tokens)).toEqual([3, 2, 2]);
    expect(repairs()).toBe(0); // a plain miss is not a repair
  });

  it('uses a whole cache without reading the database, counting nothing again', async () => {
    const { build, cache, counter, reads } = setup({ committed });
    await cache.fill(
      scope,
      committed.map((e) => ({ ...e, tokens: 1 })),
      50,
    );
    counter.counted.length = 0;
    await build(aTurn(3));
    expect(reads()).toBe(0);
    expect(counter.counted).toEqual([]);
  });

  it('finds a cache that lost a write, rebuilds from the database and counts the repair', async () => {
    const { build, cache, repairs, logger } = setup({ committed });
    // seq 2 (the earlier reply) never reached the cache: Redis failed after its commit.
    await cache.fill(scope, [committed[0], committed[2]] as HistoryEntry[], 50);
    const { prompt } = await build(aTurn(3));
    expect(prompt.map((m) => m.content)).toContain('first answer');
    expect(repairs()).toBe(1);
    expect(cache.entries(scope)?.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(logger.at('warn')).toHaveLength(1);
  });

  it("treats a cache without the turn's own message as lost and rebuilds it", async () => {
    const { build, cache, repairs } = setup({ committed });
    await cache.fill(scope, committed.slice(0, 2), 50);
    const { prompt } = await build(aTurn(3));
    expect(prompt.at(-1)?.content).toBe('second question');
    expect(repairs()).toBe(1);
  });

  it('leaves messages after the turn out of its prompt', async () => {
    const later: HistoryEntry[] = [...committed, { seq: 4, role: 'user', content: 'a later question' }];
    const { build } = setup({ committed: later });
    const { prompt } = await build(aTurn(3));
    expect(prompt.map((m) => m.content)).not.toContain('a later question');
  });

  it('trims by the cached count, not by recounting the content', async () => {
    // Budget: 200 − 100 output − (3 + 4) system − (2 + 4) current = 87 tokens of history.
    const { build, cache } = setup({ committed: [], contextTokens: 200 });
    await cache.fill(
      scope,
      [
        { seq: 1, role: 'user', content: 'short', tokens: 500 },
        { seq: 2, role: 'assistant', content: 'also short', tokens: 2 },
        { seq: 3, role: 'user', content: 'next question', tokens: 2 },
      ],
      50,
    );
    const { prompt } = await build(aTurn(3));
    expect(prompt.map((m) => m.content)).toEqual([SYSTEM_PROMPT, 'also short', 'next question']);
  });

  it('counts entries beyond the budget only as far as trimming looks', async () => {
    const long: HistoryEntry[] = Array.from({ length: 41 }, (_, i) => ({
      seq: i + 1,
      role: i % 2 ? 'assistant' : 'user',
      content: i === 40 ? 'q' : `word `.repeat(10) + i,
    }));
    // Room for about two entries of 11 words (+4 framing each).
    const { build, counter } = setup({ committed: long, contextTokens: 100 + 7 + 5 + 4 + 31 });
    counter.counted.length = 0;
    await build(aTurn(41));
    // The message, the two that fit, and the one that did not: nothing older.
    expect(counter.counted).toHaveLength(4);
  });

  it('accepts a repeated entry (a push that raced a refill) but not a gap', () => {
    const e = (seq: number): HistoryEntry => ({ seq, role: 'user', content: String(seq) });
    expect(cachedUpTo([e(4), e(5), e(5), e(6)], 6)?.map((x) => x.seq)).toEqual([4, 5, 6]);
    expect(cachedUpTo([e(4), e(6)], 6)).toBeNull();
    expect(cachedUpTo([e(4), e(5)], 6)).toBeNull();
    expect(cachedUpTo([e(6), e(4), e(5), e(7)], 6)?.map((x) => x.seq)).toEqual([4, 5, 6]);
  });
});
