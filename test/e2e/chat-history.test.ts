import { Redis } from 'ioredis';
import { MESSAGE_OVERHEAD_TOKENS, historyBudget } from '../../src/domain/chat/token-budget';
import { createTiktokenCounter } from '../../src/infra/llm/tiktoken-counter';
import { SEND_MESSAGE, collectStream } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';
import type { FakeOpenAi } from '../../tools/kit/fake-openai-server';
import type { Sql } from '../support/sql';

const SYSTEM_PROMPT = 'Be brief.';
const LIMITS = { contextTokens: 300, maxOutputTokens: 140 };

describe('chat history: token budget, cache and database fallback', () => {
  const counter = createTiktokenCounter();
  let model: FakeOpenAi;
  let testApp: TestApp;
  let sql: Sql;
  let redis: Redis;
  let token: string;

  beforeAll(async () => {
    testApp = await createTestApp(
      {
        CHAT_SYSTEM_PROMPT: SYSTEM_PROMPT,
        MODEL_WORKER_CONTEXT_TOKENS: String(LIMITS.contextTokens),
        MODEL_WORKER_MAX_OUTPUT_TOKENS: String(LIMITS.maxOutputTokens),
      },
      { model: {} },
    );
    model = testApp.model;
    sql = testApp.sql;
    redis = new Redis(testApp.config.redis.url);
    token = await testApp.token('carol');
  });
  afterAll(async () => {
    counter.free();
    redis.disconnect();
    await testApp.close();
  });

  /** Sends one message and waits until its reply has completed. */
  const converse = async (content: string, conversationId?: string) => {
    const response = await testApp.graphql<{ sendMessage: { conversation: { id: string }; replyId: string } }>(
      SEND_MESSAGE,
      { input: { content, conversationId } },
      token,
    );
    const sent = response.body.data!.sendMessage;
    await collectStream(testApp.wsClient({ authorization: `Bearer ${token}` }), {
      conversationId: sent.conversation.id,
      replyId: sent.replyId,
    });
    return sent.conversation.id;
  };
  const persisted = (conversationId: string) =>
    sql.query<{ role: string; content: string }>(
      'SELECT role, content FROM chat_messages WHERE conversation_id = ? ORDER BY seq',
      [conversationId],
    );
  const historyOf = (request: { messages?: { role: string; content: string }[] } | undefined) =>
    (request?.messages ?? []).slice(1, -1);

  it('drops the oldest messages first so history fits the model budget counted with tiktoken', async () => {
    const words = (n: number) => Array.from({ length: 12 }, (_, i) => `word${n}x${i}`).join(' ');
    const conversationId = await converse(words(0));
    for (let n = 1; n < 5; n += 1) await converse(words(n), conversationId);
    await eventually(async () => expect(await persisted(conversationId)).toHaveLength(10));
    const all = await persisted(conversationId);
    const current = words(5);
    await converse(current, conversationId);

    const sent = historyOf(model.requests.at(-1));
    const budget = historyBudget(LIMITS, counter.count(SYSTEM_PROMPT), counter.count(current));
    const cost = (messages: { content: string }[]) =>
      messages.reduce((sum, m) => sum + counter.count(m.content) + MESSAGE_OVERHEAD_TOKENS, 0);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.length).toBeLessThan(all.length);
    // A suffix of the conversation: the newest messages, oldest dropped first.
    expect(sent).toEqual(all.slice(all.length - sent.length).map(({ role, content }) => ({ role, content })));
    expect(cost(sent)).toBeLessThanOrEqual(budget);
    expect(cost(all.slice(all.length - sent.length - 1))).toBeGreaterThan(budget);
  });

  it('falls back to the database when the cache is gone, sends that history, and backfills the cache', async () => {
    const conversationId = await converse('first question');
    await converse('second question', conversationId);
    await eventually(async () => expect(await persisted(conversationId)).toHaveLength(4));
    const key = `${testApp.config.redis.prefix}:chat:hist:carol:${conversationId}`;
    expect(await redis.exists(key)).toBe(1);
    await redis.del(key);

    await converse('third question', conversationId);
    expect(historyOf(model.requests.at(-1)).map((m) => m.content)).toEqual([
      'first question',
      'Echo: first question',
      'second question',
      'Echo: second question',
    ]);
    const cached = (await redis.lrange(key, 0, -1)).map(
      (item) => JSON.parse(item) as { content: string; tokens?: number },
    );
    expect(cached.map((e) => e.content)).toEqual([
      'first question',
      'Echo: first question',
      'second question',
      'Echo: second question',
      'third question',
      'Echo: third question',
    ]);
    // Every entry carries its tiktoken count (backfilled, sent, and the reply), so no later send recounts it.
    expect(cached.map((e) => e.tokens)).toEqual(cached.map((e) => counter.count(e.content)));
  });
});
