import { randomUUID } from 'node:crypto';
import { SEND_MESSAGE, collectStream } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';
import type { Sql } from '../support/sql';

describe('chat input validation and isolation', () => {
  let testApp: TestApp;
  let sql: Sql;
  let alice: string;

  beforeAll(async () => {
    testApp = await createTestApp({ CHAT_MAX_CONTENT_CHARS: '50' }, { model: {} });
    sql = testApp.sql;
    alice = await testApp.token('alice');
  });
  afterAll(async () => {
    await testApp.close();
  });

  const outboxCount = async () =>
    Number((await sql.query<{ n: number }>('SELECT COUNT(*) AS n FROM outbox_messages'))[0]?.n);
  const sendAs = (bearer: string, input: Record<string, unknown>) =>
    testApp.graphql<{ sendMessage: { conversation: { id: string }; replyId: string } }>(
      SEND_MESSAGE,
      { input },
      bearer,
    );

  it.each([
    ['empty content', { content: '   ' }, 'BAD_USER_INPUT'],
    ['content over the limit', { content: 'x'.repeat(51) }, 'BAD_USER_INPUT'],
    ['a malformed conversation id', { content: 'hi', conversationId: 'not-a-uuid' }, 'BAD_USER_INPUT'],
    ['an unknown model', { content: 'hi', model: 'GENIUS' }, 'BAD_USER_INPUT'],
  ])('rejects %s with a typed error and writes nothing', async (_name, input, code) => {
    const before = await outboxCount();
    const response = await sendAs(alice, input);
    expect(response.body.data).toBeFalsy();
    expect(response.body.errors?.[0]?.extensions?.code).toBe(code);
    expect(await outboxCount()).toBe(before);
  });

  it("makes another user's conversation look missing: sending, reading and streaming all say NOT_FOUND / null", async () => {
    const sent = await sendAs(alice, { content: 'private' });
    const conversationId = sent.body.data!.sendMessage.conversation.id;
    // Let alice's reply finish first: its outbox row must not be mistaken for a write by bob.
    await collectStream(testApp.wsClient({ authorization: `Bearer ${alice}` }), {
      conversationId,
      replyId: sent.body.data!.sendMessage.replyId,
    });
    const bob = await testApp.token('bob');
    const before = await outboxCount();

    const send = await sendAs(bob, { content: 'let me in', conversationId });
    expect(send.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await outboxCount()).toBe(before);

    const read = await testApp.graphql<{ conversation: unknown }>(
      'query($id: ID!) { conversation(id: $id) { id } }',
      { id: conversationId },
      bob,
    );
    expect(read.body).toEqual({ data: { conversation: null } });

    const stream = await collectStream(testApp.wsClient({ authorization: `Bearer ${bob}` }), {
      conversationId,
      replyId: sent.body.data!.sendMessage.replyId,
    });
    expect(stream.events).toEqual([]);
    expect(stream.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('creates a conversation on first use of a new id and lists it for its owner only', async () => {
    const conversationId = randomUUID();
    const sent = await sendAs(alice, { content: 'first words', conversationId });
    expect(sent.body.data?.sendMessage.conversation.id).toBe(conversationId);
    const list = await testApp.graphql<{ conversations: { edges: { node: { id: string } }[] } }>(
      '{ conversations(first: 50) { edges { node { id } } } }',
      {},
      alice,
    );
    expect(list.body.data?.conversations.edges.map((e) => e.node.id)).toContain(conversationId);
    const bobs = await testApp.graphql<{ conversations: { edges: unknown[] } }>(
      '{ conversations { edges { node { id } } } }',
      {},
      await testApp.token('bob'),
    );
    expect(bobs.body.data?.conversations.edges).toEqual([]);
  });

  it("pages through a conversation's persisted history in seq order", async () => {
    const conversationId = randomUUID();
    const sent = await sendAs(alice, { content: 'page one', conversationId });
    await collectStream(testApp.wsClient({ authorization: `Bearer ${alice}` }), {
      conversationId,
      replyId: sent.body.data!.sendMessage.replyId,
    });
    const page = (after?: string) =>
      testApp.graphql<{
        conversation: {
          messageCount: number;
          messages: {
            edges: { cursor: string; node: { seq: number; role: string } }[];
            pageInfo: { hasNextPage: boolean };
          };
        };
      }>(
        'query($id: ID!, $after: String) { conversation(id: $id) { messageCount messages(first: 1, after: $after) { edges { cursor node { seq role } } pageInfo { hasNextPage } } } }',
        { id: conversationId, after },
        alice,
      );
    await eventually(async () => expect((await page()).body.data?.conversation.messageCount).toBe(2));
    const first = (await page()).body.data!.conversation.messages;
    expect(first.edges.map((e) => e.node)).toEqual([{ seq: 1, role: 'USER' }]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await page(first.edges[0]!.cursor)).body.data!.conversation.messages;
    expect(second.edges.map((e) => e.node)).toEqual([{ seq: 2, role: 'ASSISTANT' }]);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('rejects a chatStream cursor that did not come from the stream', async () => {
    const sent = await sendAs(alice, { content: 'cursor check' });
    const { conversation, replyId } = sent.body.data!.sendMessage;
    const stream = await collectStream(testApp.wsClient({ authorization: `Bearer ${alice}` }), {
      conversationId: conversation.id,
      replyId,
      after: 'garbage',
    });
    expect(stream.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
