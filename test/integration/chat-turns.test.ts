import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { NewTurn } from '../../src/application/append-chat-messages.use-case';
import { createBuildReplyPrompt } from '../../src/application/build-reply-prompt';
import { createMikroChatTurns } from '../../src/infra/db/repositories/mikro-chat-turns.queries';
import { createMikroConversationQueries } from '../../src/infra/db/repositories/mikro-conversation.queries';
import { createRedisHistoryCache } from '../../src/infra/redis/redis-history-cache';
import { aChatMessage } from '../support/builders';
import { createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture';

const aTurn = (overrides: Partial<NewTurn> = {}): NewTurn => ({
  replyId: randomUUID(),
  clientMessageId: randomUUID(),
  contentSha256: 'a'.repeat(64),
  model: 'WORKER',
  thinking: false,
  ...overrides,
});

/** chat_turns, the writer's idempotency key and the prompt's history sources against the real MariaDB and Redis. */
describe('chat turns on the real database', () => {
  let f: PipelineFixture;
  let turns: ReturnType<typeof createMikroChatTurns>;
  beforeAll(async () => {
    f = await createPipelineFixture();
    turns = createMikroChatTurns(f.database);
  });
  afterAll(() => f.close());

  const send = (conversationId: string, turn: NewTurn, userId = 'u1') =>
    f.append({ conversationId, userId, messages: [aChatMessage({ role: 'user' })], turn });
  const lastSeq = async (id: string) =>
    Number(
      (await f.sql.query<{ last_seq: number }>('SELECT last_seq FROM conversations WHERE id = ?', [id]))[0]?.last_seq ??
        0,
    );
  const outboxRows = async (id: string) =>
    (await f.sql.query('SELECT id FROM outbox_messages WHERE aggregate_id = ?', [id])).length;

  it('records the turn with its user message, AWAITING, readable by reply id and by client message id', async () => {
    const conversationId = randomUUID();
    const turn = aTurn({ model: 'STRATEGIST', thinking: true });
    const result = await f.append({
      conversationId,
      userId: 'u1',
      messages: [aChatMessage({ role: 'user' })],
      turn,
      traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`,
    });
    const expected = {
      replyId: turn.replyId,
      userId: 'u1',
      conversationId,
      clientMessageId: turn.clientMessageId,
      userMessageId: result.messages[0]?.messageId,
      userSeq: 1,
      model: 'STRATEGIST',
      thinking: true,
      status: 'AWAITING',
      traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`,
    };
    await expect(turns.get(turn.replyId)).resolves.toMatchObject(expected);
    await expect(turns.byClientMessageId('u1', turn.clientMessageId as string)).resolves.toMatchObject(expected);
    await expect(turns.byClientMessageId('u2', turn.clientMessageId as string)).resolves.toBeNull();
  });

  it('writes nothing for a repeated client message id: no seq, no outbox row, the first turn unchanged', async () => {
    const conversationId = randomUUID();
    const clientMessageId = randomUUID();
    const first = aTurn({ clientMessageId });
    await send(conversationId, first);
    const again = await send(conversationId, aTurn({ clientMessageId }));
    expect(again).toMatchObject({ duplicate: true, messages: [] });
    expect(await lastSeq(conversationId)).toBe(1);
    expect(await outboxRows(conversationId)).toBe(1);
    await expect(turns.byClientMessageId('u1', clientMessageId)).resolves.toMatchObject({ replyId: first.replyId });
  });

  it('rolls back a repeat that would have created a new conversation', async () => {
    const clientMessageId = randomUUID();
    await send(randomUUID(), aTurn({ clientMessageId }));
    const other = randomUUID();
    await expect(send(other, aTurn({ clientMessageId }))).resolves.toMatchObject({ duplicate: true });
    expect(await f.sql.query('SELECT id FROM conversations WHERE id = ?', [other])).toEqual([]);
  });

  it('lets exactly one of concurrent sends with one client message id commit', async () => {
    const conversationId = randomUUID();
    await send(conversationId, aTurn({ clientMessageId: null }));
    const clientMessageId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 6 }, () => send(conversationId, aTurn({ clientMessageId }))),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await lastSeq(conversationId)).toBe(2);
    expect(await outboxRows(conversationId)).toBe(2);
  });

  it('allows any number of turns without a client message id', async () => {
    const conversationId = randomUUID();
    await send(conversationId, aTurn({ clientMessageId: null }));
    await expect(send(conversationId, aTurn({ clientMessageId: null }))).resolves.not.toHaveProperty('duplicate');
  });

  it("marks the turn REPLIED in the reply message's transaction, and lists only older AWAITING turns", async () => {
    const conversationId = randomUUID();
    const answered = aTurn();
    const waiting = aTurn();
    await send(conversationId, answered);
    await send(conversationId, waiting);
    await f.append({
      conversationId,
      userId: 'u1',
      messages: [aChatMessage({ role: 'assistant', messageId: answered.replyId })],
      completesTurn: answered.replyId,
    });
    await expect(turns.get(answered.replyId)).resolves.toMatchObject({ status: 'REPLIED' });
    const listed = await turns.awaiting({ createdBefore: new Date(Date.now() + 1000), limit: 1000 });
    expect(listed.map((t) => t.replyId)).toContain(waiting.replyId);
    expect(listed.map((t) => t.replyId)).not.toContain(answered.replyId);
    await expect(turns.awaiting({ createdBefore: new Date(Date.now() - 60_000), limit: 1000 })).resolves.toEqual([]);
  });

  it('stores one reply message per turn: of concurrent stores of one reply, exactly one commits, the rest write nothing', async () => {
    const conversationId = randomUUID();
    const turn = aTurn();
    await send(conversationId, turn);
    const store = () =>
      f.append({
        conversationId,
        userId: 'u1',
        messages: [aChatMessage({ role: 'assistant', messageId: turn.replyId })],
        completesTurn: turn.replyId,
      });
    const results = await Promise.all(Array.from({ length: 4 }, store));
    expect(results.filter((r) => !r.turnNotAwaiting)).toHaveLength(1);
    expect(results.filter((r) => r.turnNotAwaiting).every((r) => r.messages.length === 0)).toBe(true);
    // A later run finds it stored too; the conversation holds the user message and one reply.
    await expect(store()).resolves.toMatchObject({ turnNotAwaiting: true, messages: [] });
    expect(await lastSeq(conversationId)).toBe(2);
    expect(await outboxRows(conversationId)).toBe(2);
  });

  it('deletes replied turns past retention in bounded batches, never one still awaited', async () => {
    const conversationId = randomUUID();
    const replied = [aTurn(), aTurn(), aTurn()];
    const waiting = aTurn();
    for (const turn of [...replied, waiting]) await send(conversationId, turn);
    for (const turn of replied)
      await f.append({
        conversationId,
        userId: 'u1',
        messages: [aChatMessage({ role: 'assistant', messageId: turn.replyId })],
        completesTurn: turn.replyId,
      });
    const future = new Date(Date.now() + 60_000);
    await expect(turns.deleteReplied({ createdBefore: new Date(Date.now() - 60_000), limit: 10 })).resolves.toBe(0);
    await expect(turns.deleteReplied({ createdBefore: future, limit: 2 })).resolves.toBe(2);
    await turns.deleteReplied({ createdBefore: future, limit: 10 });
    for (const turn of replied) await expect(turns.get(turn.replyId)).resolves.toBeNull();
    await expect(turns.get(waiting.replyId)).resolves.toMatchObject({ status: 'AWAITING' });
  });

  it('reads recent history from history plus the messages still in the outbox, history first', async () => {
    const conversationId = randomUUID();
    const queries = createMikroConversationQueries(f.database);
    await f.append({
      conversationId,
      userId: 'u1',
      messages: [
        aChatMessage({ role: 'user', content: 'one' }),
        aChatMessage({ role: 'assistant', content: 'two' }),
        aChatMessage({ role: 'user', content: 'three' }),
      ],
    });
    // The consumer stored seq 1 (with its own copy of the content); 2 and 3 are still on their way.
    await f.sql.query("UPDATE outbox_messages SET status = 'CONSUMED' WHERE aggregate_id = ? AND aggregate_seq = 1", [
      conversationId,
    ]);
    await f.sql.query(
      "INSERT INTO chat_messages (id, event_id, conversation_id, seq, role, content, `partial`, created_at, persisted_at) VALUES (?, ?, ?, 1, 'user', 'one (stored)', 0, NOW(3), NOW(3))",
      [randomUUID(), randomUUID(), conversationId],
    );
    await expect(queries.recentHistory(conversationId, 10)).resolves.toEqual([
      { seq: 1, role: 'user', content: 'one (stored)' },
      { seq: 2, role: 'assistant', content: 'two' },
      { seq: 3, role: 'user', content: 'three' },
    ]);
    await expect(queries.recentHistory(conversationId, 2)).resolves.toEqual([
      { seq: 2, role: 'assistant', content: 'two' },
      { seq: 3, role: 'user', content: 'three' },
    ]);
  });

  it('refills a Redis history that lost a write from the database before building the prompt', async () => {
    const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
    try {
      const prefix = `test-${randomUUID()}`;
      const cache = createRedisHistoryCache({ client: redis, prefix, ttlSeconds: 60 });
      const conversationId = randomUUID();
      const scope = { userId: 'u1', conversationId };
      const turn = aTurn();
      await f.append({
        conversationId,
        userId: 'u1',
        messages: [aChatMessage({ role: 'user', content: 'q1' }), aChatMessage({ role: 'assistant', content: 'a1' })],
      });
      await send(conversationId, turn);
      // The cache has seq 1 and 3; the reply at seq 2 never reached it.
      await cache.fill(scope, [{ seq: 1, role: 'user', content: 'q1' }], 10);
      await cache.push(scope, { seq: 3, role: 'user', content: 'x' }, 10);
      let repairs = 0;
      const limits = { contextTokens: 10_000, maxOutputTokens: 100, historyLimit: 50 };
      const build = createBuildReplyPrompt({
        conversations: createMikroConversationQueries(f.database),
        cache,
        counter: { count: (t) => t.length },
        logger: f.logger,
        chat: { systemPrompt: 'sys' },
        models: { WORKER: limits, STRATEGIST: limits },
        onCacheRepaired: () => (repairs += 1),
      });
      const turnRow = await turns.get(turn.replyId);
      if (!turnRow) throw new Error('turn not recorded');
      const { prompt } = await build(turnRow);
      expect(prompt.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
      expect(prompt[2]?.content).toBe('a1');
      expect(repairs).toBe(1);
      expect((await cache.read(scope))?.map((e) => e.seq)).toEqual([1, 2, 3]);
    } finally {
      redis.disconnect();
    }
  });
});
