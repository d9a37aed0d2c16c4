import type { Client } from 'graphql-ws';
import { collectStream, SEND_MESSAGE, textOf } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';
import { defaultScript, type FakeOpenAi } from '../../tools/kit/fake-openai-server';
import type { Sql } from '../support/sql';

interface SendResult {
  sendMessage: { conversation: { id: string }; userMessage: { id: string; seq: number }; replyId: string };
}

describe('chat over GraphQL: sendMessage + chatStream against an OpenAI-compatible server', () => {
  let model: FakeOpenAi;
  let testApp: TestApp;
  let sql: Sql;
  let token: string;
  let client: Client;

  beforeAll(async () => {
    testApp = await createTestApp(
      { MODEL_WORKER: 'worker-model', MODEL_STRATEGIST: 'strategist-model', MODEL_THINKING_STYLE: 'ark' },
      { model: {} },
    );
    model = testApp.model;
    sql = testApp.sql;
    token = await testApp.token('alice');
    client = testApp.wsClient({ authorization: `Bearer ${token}` });
  });
  afterEach(() => model.setScript(defaultScript));
  afterAll(async () => {
    await testApp.close();
  });

  const send = async (input: Record<string, unknown>, bearer = token) => {
    const response = await testApp.graphql<SendResult>(SEND_MESSAGE, { input }, bearer);
    if (!response.body.data) throw new Error(`sendMessage failed: ${JSON.stringify(response.body.errors)}`);
    return response.body.data.sendMessage;
  };
  const history = (conversationId: string) =>
    sql.query<{ seq: number; role: string; content: string; reasoning: string | null; partial: number }>(
      'SELECT seq, role, content, reasoning, `partial` FROM chat_messages WHERE conversation_id = ? ORDER BY seq',
      [conversationId],
    );

  it('streams the reply token by token and persists both messages through the pipeline, in seq order', async () => {
    const sent = await send({ content: 'hello there world' });
    expect(sent.userMessage.seq).toBe(1);
    const outcome = await collectStream(client, { conversationId: sent.conversation.id, replyId: sent.replyId });
    expect(outcome.errors).toBeUndefined();
    expect(textOf(outcome.events)).toBe('Echo: hello there world');
    const completed = outcome.events.at(-1);
    expect(completed).toMatchObject({
      __typename: 'ReplyCompleted',
      replyId: sent.replyId,
      message: {
        id: sent.replyId,
        seq: 2,
        role: 'ASSISTANT',
        content: 'Echo: hello there world',
        model: 'worker-model',
      },
    });
    expect(model.requests.at(-1)?.model).toBe('worker-model');
    await eventually(async () =>
      expect((await history(sent.conversation.id)).map((m) => `${m.seq}:${m.role}:${m.content}`)).toEqual([
        '1:user:hello there world',
        '2:assistant:Echo: hello there world',
      ]),
    );
  });

  it('streams reasoning first when thinking is on, and stores it with the reply', async () => {
    const sent = await send({ content: 'think please', thinking: true, model: 'STRATEGIST' });
    const outcome = await collectStream(client, { conversationId: sent.conversation.id, replyId: sent.replyId });
    expect(outcome.events[0]?.__typename).toBe('ReasoningDelta');
    expect(textOf(outcome.events, 'ReasoningDelta')).toBe('Let me think.');
    expect(outcome.events.at(-1)?.message).toMatchObject({ reasoning: 'Let me think.', model: 'strategist-model' });
    await eventually(async () =>
      expect((await history(sent.conversation.id))[1]).toMatchObject({ reasoning: 'Let me think.' }),
    );
  });

  it('replays every event to a subscriber that arrives after the reply finished', async () => {
    const sent = await send({ content: 'late subscriber' });
    const first = await collectStream(client, { conversationId: sent.conversation.id, replyId: sent.replyId });
    const late = await collectStream(testApp.wsClient({ authorization: `Bearer ${token}` }), {
      conversationId: sent.conversation.id,
      replyId: sent.replyId,
    });
    expect(late.events).toEqual(first.events);
  });

  it('resumes after a cursor with every later event exactly once', async () => {
    model.setScript(() => ({ tokens: Array.from({ length: 12 }, (_, i) => ` t${i}`), tokenDelayMs: 20 }));
    const sent = await send({ content: 'resume me' });
    const head = await collectStream(
      client,
      { conversationId: sent.conversation.id, replyId: sent.replyId },
      { stopAfter: 4 },
    );
    const tail = await collectStream(client, {
      conversationId: sent.conversation.id,
      replyId: sent.replyId,
      after: head.events.at(-1)?.cursor,
    });
    const all = [...head.events, ...tail.events];
    expect(textOf(all)).toBe(Array.from({ length: 12 }, (_, i) => ` t${i}`).join(''));
    expect(new Set(all.map((e) => e.cursor)).size).toBe(all.length);
  });

  it('keeps generating and persists the reply after the subscriber disconnects mid-stream', async () => {
    model.setScript(() => ({ tokens: Array.from({ length: 15 }, (_, i) => ` w${i}`), tokenDelayMs: 20 }));
    const sent = await send({ content: 'leave early' });
    const leaving = testApp.wsClient({ authorization: `Bearer ${token}` });
    await collectStream(leaving, { conversationId: sent.conversation.id, replyId: sent.replyId }, { stopAfter: 2 });
    await leaving.dispose();
    await eventually(async () =>
      expect((await history(sent.conversation.id))[1]).toMatchObject({ seq: 2, role: 'assistant', partial: 0 }),
    );
    expect((await history(sent.conversation.id))[1]?.content).toBe(
      Array.from({ length: 15 }, (_, i) => ` w${i}`).join(''),
    );
  });

  it('turns a model error into a ReplyFailed event with its code, and stores one (empty) partial message for the send', async () => {
    model.setScript(() => ({ status: 500 }));
    const sent = await send({ content: 'fail please' });
    const outcome = await collectStream(client, { conversationId: sent.conversation.id, replyId: sent.replyId });
    expect(outcome.events).toEqual([
      expect.objectContaining({ __typename: 'ReplyFailed', code: 'MODEL_UNAVAILABLE', partialMessageId: sent.replyId }),
    ]);
    await eventually(async () =>
      expect((await history(sent.conversation.id))[1]).toMatchObject({ role: 'assistant', content: '', partial: 1 }),
    );
  });

  it('stores the text produced before a cut stream as a partial message', async () => {
    model.setScript(() => ({ tokens: ['one', ' two', ' three', ' four'], cutAfter: 2 }));
    const sent = await send({ content: 'cut please' });
    const outcome = await collectStream(client, { conversationId: sent.conversation.id, replyId: sent.replyId });
    expect(outcome.events.at(-1)).toMatchObject({
      __typename: 'ReplyFailed',
      code: 'MODEL_STREAM_CUT',
      partialMessageId: sent.replyId,
    });
    await eventually(async () =>
      expect((await history(sent.conversation.id))[1]).toMatchObject({ content: 'one two', partial: 1 }),
    );
  });
});
