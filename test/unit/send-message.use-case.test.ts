import { createHash } from 'node:crypto';
import { createAppendChatMessages } from '../../src/application/append-chat-messages.use-case';
import { createSendMessage, type SendSideEffect } from '../../src/application/send-message.use-case';
import type { ChatTurn } from '../../src/domain/chat/chat-types';
import type { HistoryCache } from '../../src/domain/ports/history-cache';
import { deferred, eventually } from '../support/eventually';
import { createFakeClock } from '../support/fakes/fake-clock';
import { createInMemoryHistoryCache } from '../support/fakes/in-memory-history-cache';
import { createInMemoryOutbox } from '../support/fakes/in-memory-outbox';
import { createRecordingLogger } from '../support/fakes/recording-logger';
import { createSequentialIds, sequentialUuid } from '../support/fakes/sequential-ids';

const USER = 'u1';
const clientMessageId = sequentialUuid(1, 0xc11e);

const setup = (
  options: { cache?: HistoryCache; startReply?: (turn: ChatTurn) => Promise<void>; allowed?: () => boolean } = {},
) => {
  const clock = createFakeClock();
  const outbox = createInMemoryOutbox({ clock });
  const logger = createRecordingLogger();
  const ids = createSequentialIds();
  const append = createAppendChatMessages({ uow: outbox.uow, clock, ids, outbox: { topic: 't', maxAttempts: 5 } });
  const started: ChatTurn[] = [];
  const failed: SendSideEffect[] = [];
  const cache = options.cache ?? createInMemoryHistoryCache();
  const send = createSendMessage({
    rateLimiter: { consume: async () => ({ allowed: options.allowed?.() ?? true, retryAfterSeconds: 60 }) },
    conversations: { ownerOf: async (id) => outbox.conversation(id)?.userId ?? null },
    cache,
    append,
    turns: outbox.turns,
    counter: { count: (text) => text.length },
    ids,
    hash: (text) => createHash('sha256').update(text).digest('hex'),
    startReply: options.startReply ?? (async (turn) => void started.push(turn)),
    logger,
    onSideEffectFailed: (step) => failed.push(step),
    chat: { systemPrompt: 'sys', maxContentChars: 1_000 },
    models: {
      WORKER: { contextTokens: 10_000, maxOutputTokens: 100 },
      STRATEGIST: { contextTokens: 10_000, maxOutputTokens: 100 },
    },
  });
  return { outbox, send, started, failed, logger, cache };
};

describe('send message: idempotency by client message id', () => {
  it('answers a repeat with the original payload and writes nothing more', async () => {
    const { outbox, send, started } = setup();
    const first = await send({ userId: USER, raw: { content: 'hello', clientMessageId } });
    const again = await send({ userId: USER, raw: { content: 'hello', clientMessageId } });
    expect(again).toEqual({ ...first, conversation: { ...first.conversation, created: true } });
    expect(outbox.rows()).toHaveLength(1);
    expect(outbox.conversation(first.conversation.id)?.lastSeq).toBe(1);
    // The turn still awaits its reply, so the repeat starts it again (the start is idempotent by reply id).
    expect(started.map((t) => t.replyId)).toEqual([first.replyId, first.replyId]);
  });

  it('refuses the same id with other content as IDEMPOTENCY_CONFLICT, writing nothing', async () => {
    const { outbox, send } = setup();
    await send({ userId: USER, raw: { content: 'hello', clientMessageId } });
    await expect(send({ userId: USER, raw: { content: 'something else', clientMessageId } })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_CONFLICT',
    });
    expect(outbox.rows()).toHaveLength(1);
  });

  it('refuses the same id naming another conversation as IDEMPOTENCY_CONFLICT', async () => {
    const { send } = setup();
    await send({ userId: USER, raw: { content: 'hello', clientMessageId } });
    const other = await send({ userId: USER, raw: { content: 'elsewhere' } });
    await expect(
      send({ userId: USER, raw: { conversationId: other.conversation.id, content: 'hello', clientMessageId } }),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
  });

  it('keeps ids of different users apart', async () => {
    const { outbox, send } = setup();
    const mine = await send({ userId: USER, raw: { content: 'hello', clientMessageId } });
    const theirs = await send({ userId: 'u2', raw: { content: 'hello', clientMessageId } });
    expect(theirs.replyId).not.toBe(mine.replyId);
    expect(outbox.rows()).toHaveLength(2);
  });

  it('stores concurrent repeats once and answers both with the same payload', async () => {
    const { outbox, send } = setup();
    const conversation = await send({ userId: USER, raw: { content: 'start' } });
    const raw = { conversationId: conversation.conversation.id, content: 'twice at once', clientMessageId };
    const [a, b] = await Promise.all([send({ userId: USER, raw }), send({ userId: USER, raw })]);
    expect(a.replyId).toBe(b.replyId);
    expect(a.userMessage).toEqual(b.userMessage);
    expect(outbox.rows()).toHaveLength(2);
    expect(outbox.conversation(conversation.conversation.id)?.lastSeq).toBe(2);
  });

  it('answers a repeat even when the sender is over the rate limit', async () => {
    let allowed = true;
    const { send } = setup({ allowed: () => allowed });
    const first = await send({ userId: USER, raw: { content: 'hello', clientMessageId } });
    allowed = false;
    await expect(send({ userId: USER, raw: { content: 'hello', clientMessageId } })).resolves.toMatchObject({
      replyId: first.replyId,
    });
    await expect(
      send({ userId: USER, raw: { content: 'new', clientMessageId: sequentialUuid(2, 0xc11e) } }),
    ).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  // An empty id is not "no id" (that is null or absent): a client that sends one has a bug to hear about.
  it.each(['retry-1', '', '   '])(
    'rejects a client message id that is not a UUID (%j) as BAD_USER_INPUT before writing',
    async (given) => {
      const { outbox, send, started } = setup();
      await expect(send({ userId: USER, raw: { content: 'hello', clientMessageId: given } })).rejects.toMatchObject({
        code: 'BAD_USER_INPUT',
      });
      expect(outbox.rows()).toHaveLength(0);
      expect(started).toEqual([]);
    },
  );

  it.each(['', '   ', 'not-a-uuid'])(
    'rejects a conversation id that is not a UUID (%j) as BAD_USER_INPUT instead of starting a new conversation',
    async (given) => {
      const { outbox, send, started } = setup();
      await expect(send({ userId: USER, raw: { content: 'hello', conversationId: given } })).rejects.toMatchObject({
        code: 'BAD_USER_INPUT',
      });
      expect(outbox.rows()).toHaveLength(0);
      expect(started).toEqual([]);
    },
  );

  it('takes a null client message id as none (an old client)', async () => {
    const { outbox, send } = setup();
    await send({ userId: USER, raw: { content: 'hello', clientMessageId: null } });
    await send({ userId: USER, raw: { content: 'hello', clientMessageId: null } });
    expect(outbox.rows()).toHaveLength(2);
  });
});

describe('send message: after the commit', () => {
  const failing = (what: keyof HistoryCache): HistoryCache => {
    const cache = createInMemoryHistoryCache();
    return { ...cache, [what]: async () => Promise.reject(new Error(`redis down (${what})`)) };
  };

  it('succeeds and still starts the reply when the cache write fails', async () => {
    const { send, started, failed, outbox } = setup({ cache: failing('fill') });
    const result = await send({ userId: USER, raw: { content: 'hello' } });
    expect(outbox.rows()).toHaveLength(1);
    expect(started.map((t) => t.replyId)).toEqual([result.replyId]);
    expect(failed).toEqual(['history-cache']);
  });

  it('succeeds when the owner marker cannot be written', async () => {
    const { send, failed } = setup({ cache: failing('markOwned') });
    await expect(send({ userId: USER, raw: { content: 'hello' } })).resolves.toMatchObject({ userMessage: { seq: 1 } });
    expect(failed).toEqual(['owner-marker']);
  });

  it('succeeds when the reply cannot be started, leaving the turn AWAITING for recovery', async () => {
    const { send, failed, outbox, logger } = setup({
      startReply: async () => Promise.reject(new Error('queue unreachable')),
    });
    const result = await send({ userId: USER, raw: { content: 'hello' } });
    expect(failed).toEqual(['start-reply']);
    await expect(outbox.turns.get(result.replyId)).resolves.toMatchObject({ status: 'AWAITING', userSeq: 1 });
    expect(logger.at('warn').map((e) => e.fields['step'])).toEqual(['start-reply']);
  });

  it('starts the reply alongside the cache writes, after sending them, and answers once all are done', async () => {
    const pushed = deferred();
    const order: string[] = [];
    const inMemory = createInMemoryHistoryCache();
    const cache: HistoryCache = {
      ...inMemory,
      fill: async (...args) => (order.push('cache write sent'), await pushed.promise, inMemory.fill(...args)),
    };
    const { send } = setup({ cache, startReply: async () => void order.push('reply started') });
    let answered = false;
    const sent = send({ userId: USER, raw: { content: 'hello' } }).then((result) => ((answered = true), result));
    await eventually(() => expect(order).toEqual(['cache write sent', 'reply started']));
    expect(answered).toBe(false);
    pushed.resolve();
    await expect(sent).resolves.toMatchObject({ userMessage: { seq: 1 } });
  });

  it('records the turn with the message it answers', async () => {
    const { send, outbox } = setup();
    const result = await send({
      userId: USER,
      raw: { content: 'hello', model: 'STRATEGIST', thinking: true, clientMessageId },
    });
    await expect(outbox.turns.get(result.replyId)).resolves.toMatchObject({
      userId: USER,
      conversationId: result.conversation.id,
      clientMessageId,
      userMessageId: result.userMessage.id,
      userSeq: 1,
      model: 'STRATEGIST',
      thinking: true,
      status: 'AWAITING',
      contentSha256: createHash('sha256').update('hello').digest('hex'),
    });
  });
});
