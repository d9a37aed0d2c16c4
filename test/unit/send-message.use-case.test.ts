import type { AppendChatMessages } from '../../src/application/append-chat-messages.use-case';
import type { ReplyJob } from '../../src/application/generate-reply.use-case';
import { createSendMessage } from '../../src/application/send-message.use-case';
import type { HistoryEntry } from '../../src/domain/chat/chat-types';
import { createInMemoryHistoryCache } from '../support/fakes/in-memory-history-cache';
import { createSequentialIds } from '../support/fakes/sequential-ids';

const SYSTEM_PROMPT = 'You are terse.';
const USER = 'u1';

/** One token per word: easy to reason about, and it records every text it was asked to count. */
const createWordCounter = () => {
  const counted: string[] = [];
  return { counted, count: (text: string) => (counted.push(text), text.split(/\s+/).filter(Boolean).length) };
};

const setup = (options: { persisted?: HistoryEntry[]; contextTokens?: number } = {}) => {
  const counter = createWordCounter();
  const cache = createInMemoryHistoryCache();
  const ids = createSequentialIds();
  const jobs: ReplyJob[] = [];
  let seq = options.persisted?.length ?? 0;
  const append: AppendChatMessages = async (input) => ({
    conversationId: input.conversationId,
    created: seq === 0,
    messages: input.messages.map(() => ({ messageId: ids.uuid(), eventId: ids.uuid(), seq: (seq += 1), createdAt: new Date() })),
  });
  const send = createSendMessage({
    rateLimiter: { consume: async () => ({ allowed: true, retryAfterSeconds: 0 }) },
    conversations: { ownerOf: async () => USER, recentHistory: async (_id, limit) => (options.persisted ?? []).slice(-limit), committedMessage: async () => null },
    cache,
    append,
    counter,
    ids,
    startReply: (job) => void jobs.push(job),
    chat: { systemPrompt: SYSTEM_PROMPT, maxContentChars: 10_000 },
    models: {
      WORKER: { contextTokens: options.contextTokens ?? 10_000, maxOutputTokens: 100, historyLimit: 50 },
      STRATEGIST: { contextTokens: options.contextTokens ?? 10_000, maxOutputTokens: 100, historyLimit: 50 },
    },
  });
  return { counter, cache, jobs, send };
};

const conversationId = '00000000-0000-4000-8000-0000000000aa';
const scope = { userId: USER, conversationId };
const persisted: HistoryEntry[] = [
  { seq: 1, role: 'user', content: 'first question here' },
  { seq: 2, role: 'assistant', content: 'first answer' },
];

describe('send message: token counts', () => {
  it('counts history from the database once, and the refilled cache carries the counts', async () => {
    const { counter, cache, send } = setup({ persisted });
    counter.counted.length = 0; // the system prompt, counted when the use case was built
    await send({ userId: USER, raw: { conversationId, content: 'second question' } });
    expect(counter.counted.sort()).toEqual(['first answer', 'first question here', 'second question']);
    expect(cache.entries(scope)?.map((e) => e.tokens)).toEqual([3, 2, 2]);
  });

  it('counts only the new message when the cache already carries the counts', async () => {
    const { counter, send } = setup({ persisted });
    await send({ userId: USER, raw: { conversationId, content: 'second question' } });
    counter.counted.length = 0;
    await send({ userId: USER, raw: { conversationId, content: 'third one' } });
    expect(counter.counted).toEqual(['third one']);
  });

  it('trims by the cached count, not by recounting the content', async () => {
    // Budget: 200 − 100 output − (3 + 4) system − (2 + 4) current = 87 tokens of history.
    const { cache, jobs, send } = setup({ contextTokens: 200 });
    await cache.fill(scope, [{ seq: 1, role: 'user', content: 'short', tokens: 500 }, { seq: 2, role: 'assistant', content: 'also short', tokens: 2 }], 50);
    await cache.markOwned(scope);
    await send({ userId: USER, raw: { conversationId, content: 'next question' } });
    expect(jobs[0]?.prompt.map((m) => m.content)).toEqual([SYSTEM_PROMPT, 'also short', 'next question']);
  });

  it('counts entries beyond the budget only as far as trimming looks', async () => {
    const long: HistoryEntry[] = Array.from({ length: 40 }, (_, i) => ({ seq: i + 1, role: i % 2 ? 'assistant' : 'user', content: `word `.repeat(10) + i }));
    // Room for about two entries of 11 words (+4 framing each).
    const { counter, send } = setup({ persisted: long, contextTokens: 100 + 7 + 5 + 4 + 31 });
    counter.counted.length = 0;
    await send({ userId: USER, raw: { conversationId, content: 'q' } });
    // The current message, the two that fit, and the one that did not: nothing older.
    expect(counter.counted).toHaveLength(4);
  });
});
