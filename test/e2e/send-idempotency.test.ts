import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { SEND_MESSAGE } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';
import type { Sql } from '../support/sql';

interface Sent {
  sendMessage: {
    conversation: { id: string };
    userMessage: { id: string; seq: number; createdAt: string };
    replyId: string;
  };
}

/** sendMessage with a client message id, over HTTP against the real app, database, Redis and Kafka. */
describe('sendMessage retried with the same clientMessageId', () => {
  let testApp: TestApp;
  let sql: Sql;
  let redis: Redis;
  let token: string;

  beforeAll(async () => {
    testApp = await createTestApp();
    sql = testApp.sql;
    redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
    token = await testApp.token('alice');
  });
  afterAll(async () => {
    redis.disconnect();
    await testApp.close();
  });

  /** The payload without live fields (messageCount grows as the pipeline stores history). */
  const payloadOf = (sent: { body: { data?: Sent } }) => {
    const p = sent.body.data?.sendMessage;
    return p && { conversationId: p.conversation.id, userMessage: p.userMessage, replyId: p.replyId };
  };
  const send = (input: Record<string, unknown>, bearer = token) =>
    testApp.graphql<Sent>(SEND_MESSAGE, { input }, bearer);
  const userMessages = (conversationId: string) =>
    sql.query<{ seq: number; content: string }>(
      "SELECT seq, content FROM chat_messages WHERE conversation_id = ? AND role = 'user' ORDER BY seq",
      [conversationId],
    );
  const assistantMessages = (conversationId: string) =>
    sql.query<{ id: string }>("SELECT id FROM chat_messages WHERE conversation_id = ? AND role = 'assistant'", [
      conversationId,
    ]);

  it('returns the original payload for a repeat, and history holds the message and its reply once', async () => {
    const clientMessageId = randomUUID();
    const first = await send({ content: 'hello once', clientMessageId });
    const again = await send({ content: 'hello once', clientMessageId });
    expect(again.body.errors).toBeUndefined();
    expect(payloadOf(again)).toEqual(payloadOf(first));
    expect(payloadOf(first)?.userMessage.seq).toBe(1);
    const conversationId = first.body.data?.sendMessage.conversation.id as string;
    await eventually(
      async () =>
        expect(await assistantMessages(conversationId)).toEqual([{ id: first.body.data?.sendMessage.replyId }]),
      { timeoutMs: 20_000 },
    );
    expect(await userMessages(conversationId)).toEqual([{ seq: 1, content: 'hello once' }]);
  });

  it('refuses the same id with other content as IDEMPOTENCY_CONFLICT', async () => {
    const clientMessageId = randomUUID();
    const first = await send({ content: 'original', clientMessageId });
    const conflict = await send({
      conversationId: first.body.data?.sendMessage.conversation.id,
      content: 'changed',
      clientMessageId,
    });
    expect(conflict.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    const [row] = await sql.query<{ last_seq: number }>('SELECT last_seq FROM conversations WHERE id = ?', [
      first.body.data?.sendMessage.conversation.id,
    ]);
    expect(Number(row?.last_seq)).toBe(1);
  });

  it('still answers a repeat with the original after Redis lost everything of this app', async () => {
    const clientMessageId = randomUUID();
    const first = await send({ content: 'before the flush', clientMessageId });
    const keys = await redis.keys(`${testApp.config.redis.prefix}*`);
    if (keys.length) await redis.del(...keys);
    const again = await send({ content: 'before the flush', clientMessageId });
    expect(payloadOf(again)).toEqual(payloadOf(first));
    expect(payloadOf(first)?.userMessage.seq).toBe(1);
    const [row] = await sql.query<{ n: number }>('SELECT COUNT(*) AS n FROM chat_turns WHERE client_message_id = ?', [
      clientMessageId,
    ]);
    expect(Number(row?.n)).toBe(1);
  });

  it('gives another user with the same id a message of their own', async () => {
    const clientMessageId = randomUUID();
    const mine = await send({ content: 'same words', clientMessageId });
    const theirs = await send({ content: 'same words', clientMessageId }, await testApp.token('bob'));
    expect(theirs.body.data?.sendMessage.replyId).not.toBe(mine.body.data?.sendMessage.replyId);
  });

  it.each(['attempt-1', ''])(
    'rejects a clientMessageId that is not a UUID (%j) as BAD_USER_INPUT and writes nothing',
    async (clientMessageId) => {
      const before = await sql.query('SELECT reply_id FROM chat_turns');
      const response = await send({ content: 'hello', clientMessageId });
      expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(await sql.query('SELECT reply_id FROM chat_turns')).toHaveLength(before.length);
    },
  );
});
