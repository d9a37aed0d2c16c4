import { randomUUID } from 'node:crypto';
import { createAppendChatMessages } from '../../src/application/append-chat-messages.use-case';
import { CHAT_MESSAGE_CREATED } from '../../src/domain/chat-message-envelope';
import { aChatMessage } from '../support/builders';
import { createFakeClock } from '../support/fakes/fake-clock';
import { createInMemoryOutbox } from '../support/fakes/in-memory-outbox';
import { createSequentialIds } from '../support/fakes/sequential-ids';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const setup = () => {
  const clock = createFakeClock();
  const outbox = createInMemoryOutbox({ clock });
  const append = createAppendChatMessages({
    uow: outbox.uow,
    clock,
    ids: createSequentialIds(),
    outbox: { topic: 'chat-topic', maxAttempts: 7 },
  });
  return { clock, outbox, append };
};

describe('append chat messages', () => {
  it('creates the conversation on first use and numbers its messages from 1', async () => {
    const { append, outbox } = setup();
    const conversationId = randomUUID();
    const result = await append({
      conversationId,
      userId: 'u1',
      messages: [aChatMessage(), aChatMessage({ role: 'assistant' })],
    });
    expect(result).toMatchObject({ conversationId, created: true });
    expect(result.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(outbox.conversation(conversationId)).toEqual({ id: conversationId, userId: 'u1', lastSeq: 2 });
  });

  it('continues the sequence across calls for the same conversation', async () => {
    const { append, outbox } = setup();
    const conversationId = randomUUID();
    await append({ conversationId, userId: 'u1', messages: [aChatMessage(), aChatMessage()] });
    const second = await append({ conversationId, userId: 'u1', messages: [aChatMessage()] });
    expect(second).toMatchObject({ created: false, messages: [{ seq: 3 }] });
    expect(outbox.rows().map((r) => r.aggregateSeq)).toEqual([1, 2, 3]);
  });

  it('numbers each conversation independently', async () => {
    const { append } = setup();
    await append({ conversationId: randomUUID(), userId: 'u1', messages: [aChatMessage(), aChatMessage()] });
    const other = await append({ conversationId: randomUUID(), userId: 'u1', messages: [aChatMessage()] });
    expect(other.messages.map((m) => m.seq)).toEqual([1]);
  });

  it('writes one PENDING outbox row per message carrying the envelope fields', async () => {
    const { append, outbox, clock } = setup();
    const conversationId = randomUUID();
    const [appended] = (
      await append({ conversationId, userId: 'u1', messages: [aChatMessage({ content: 'hello', model: 'gpt' })] })
    ).messages;
    expect(outbox.rows()).toEqual([
      expect.objectContaining({
        eventId: appended?.eventId,
        aggregateId: conversationId,
        aggregateSeq: 1,
        eventType: CHAT_MESSAGE_CREATED,
        topic: 'chat-topic',
        status: 'PENDING',
        attempts: 0,
        maxAttempts: 7,
        nextAttemptAt: clock.now(),
        createdAt: clock.now(),
        payloadJson: JSON.stringify({
          messageId: appended?.messageId,
          role: 'user',
          content: 'hello',
          reasoning: null,
          model: 'gpt',
          promptTokens: null,
          completionTokens: null,
          partial: false,
        }),
      }),
    ]);
  });

  it('keeps a caller-supplied message id and generates UUIDs for the rest', async () => {
    const { append } = setup();
    const given = randomUUID();
    const result = await append({
      conversationId: randomUUID(),
      userId: 'u1',
      messages: [aChatMessage({ messageId: given }), aChatMessage()],
    });
    const [kept, generated] = result.messages;
    expect(kept?.messageId).toBe(given);
    expect(generated?.messageId).toMatch(UUID);
    const allIds = result.messages.flatMap((m) => [m.messageId, m.eventId]);
    expect(new Set(allIds).size).toBe(4);
  });

  it('carries the request traceparent into the row headers', async () => {
    const { append, outbox } = setup();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await append({ conversationId: randomUUID(), userId: 'u1', messages: [aChatMessage()], traceparent });
    expect(outbox.rows()[0]?.headers).toEqual({ traceparent });
  });

  it("refuses another user's conversation as CONVERSATION_NOT_FOUND and writes nothing", async () => {
    const { append, outbox } = setup();
    const conversationId = randomUUID();
    await append({ conversationId, userId: 'owner', messages: [aChatMessage()] });
    const attempt = append({ conversationId, userId: 'intruder', messages: [aChatMessage(), aChatMessage()] });
    await expect(attempt).rejects.toMatchObject({ name: 'AppError', code: 'CONVERSATION_NOT_FOUND' });
    expect(outbox.rows()).toHaveLength(1);
    expect(outbox.conversation(conversationId)).toEqual({ id: conversationId, userId: 'owner', lastSeq: 1 });
  });

  it('stores a reply only while its turn awaits it: a second store of the reply writes nothing', async () => {
    const { append, outbox } = setup();
    const conversationId = randomUUID();
    const turn = {
      replyId: 'reply-1',
      clientMessageId: null,
      contentSha256: 'a'.repeat(64),
      model: 'WORKER' as const,
      thinking: false,
    };
    await append({ conversationId, userId: 'u1', messages: [aChatMessage()], turn });
    const reply = () =>
      append({
        conversationId,
        userId: 'u1',
        messages: [aChatMessage({ role: 'assistant', messageId: 'reply-1' })],
        completesTurn: 'reply-1',
      });
    await expect(reply()).resolves.not.toHaveProperty('turnNotAwaiting');
    await expect(reply()).resolves.toEqual({ conversationId, created: false, messages: [], turnNotAwaiting: true });
    expect(outbox.rows()).toHaveLength(2);
    expect(outbox.conversation(conversationId)).toEqual({ id: conversationId, userId: 'u1', lastSeq: 2 });
  });

  it('rejects an empty message list as BAD_USER_INPUT without opening a transaction', async () => {
    const { append, outbox } = setup();
    await expect(append({ conversationId: randomUUID(), userId: 'u1', messages: [] })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    expect(outbox.rows()).toHaveLength(0);
  });
});
