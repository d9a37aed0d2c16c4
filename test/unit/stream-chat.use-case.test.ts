import {
  createStreamChat,
  replyStateFromTurns,
  type ChatStreamItem,
  type StreamChatDeps,
} from '../../src/application/stream-chat.use-case';
import type { ChatTurn, CursoredReplyEvent } from '../../src/domain/chat/chat-types';
import type { ReplyStream } from '../../src/domain/ports/reply-stream';
import { aChatTurn, aMessagePayload } from '../support/builders';
import { createFakeScheduler } from '../support/fakes/fake-scheduler';
import { createInMemoryChatTurns } from '../support/fakes/in-memory-chat-turns';
import { createRecordingLogger } from '../support/fakes/recording-logger';

const CONVERSATION = '00000000-0000-4000-8000-000000000001';
const REPLY = '00000000-0000-4000-8000-000000000002';
const token = (cursor: string): CursoredReplyEvent => ({
  cursor,
  replyId: REPLY,
  event: { kind: 'TOKEN', text: cursor },
});

/** A reply stream whose presence and events the test sets; `read` yields the events, then throws `failure` if set. */
const fakeReplies = () => {
  const state = { present: false, events: [] as CursoredReplyEvent[], failure: undefined as Error | undefined };
  const replies: ReplyStream = {
    exists: async () => state.present,
    latestReply: async () => REPLY,
    append: async () => '1-0',
    events: async () => state.events.map((e) => e.event),
    markLatest: async () => undefined,
    async *read() {
      yield* state.events;
      if (state.failure) throw state.failure;
    },
  };
  return { state, replies };
};

const setup = (overrides: Partial<StreamChatDeps> = {}) => {
  const { state, replies } = fakeReplies();
  // The start grace runs on this clock: each poll's wait moves it, in no real time.
  const scheduler = createFakeScheduler({ autoAdvance: true });
  const turnRows = new Map<string, ChatTurn>();
  const turns = createInMemoryChatTurns(turnRows);
  const logger = createRecordingLogger();
  let committed = false;
  const payload = aMessagePayload({ messageId: REPLY, role: 'assistant' });
  const conversations = {
    ownerOf: async () => 'u1',
    committedMessage: async () =>
      committed ? { messageId: REPLY, eventId: 'e', seq: 2, createdAt: new Date(), payload } : null,
  };
  const sendTurn = (overrides: Partial<ChatTurn> = {}) =>
    turnRows.set(REPLY, aChatTurn({ replyId: REPLY, conversationId: CONVERSATION, ...overrides }));
  const streamChat = createStreamChat({
    conversations,
    cache: { isOwned: async () => true },
    replies,
    replyState: replyStateFromTurns({ turns, conversations }),
    logger,
    idleTimeoutMs: 60_000,
    startGraceMs: 100,
    startPollMs: 5,
    endedSettleMs: 20,
    scheduler,
    ...overrides,
  });
  return { state, sendTurn, logger, streamChat, scheduler, commit: () => (committed = true) };
};

const collect = async (items: AsyncIterable<ChatStreamItem>) => {
  const out: ChatStreamItem[] = [];
  for await (const item of items) out.push(item);
  return out;
};

describe('streamChat', () => {
  it('refuses a reply whose stream expired but whose message is in history with REPLY_EXPIRED', async () => {
    const { streamChat, commit } = setup();
    commit();
    await expect(streamChat({ userId: 'u1', conversationId: CONVERSATION, replyId: REPLY })).rejects.toMatchObject({
      code: 'REPLY_EXPIRED',
    });
  });

  it('refuses a reply that never shows up within the grace with NOT_FOUND, after looking for the whole grace', async () => {
    const { streamChat, scheduler } = setup();
    await expect(streamChat({ userId: 'u1', conversationId: CONVERSATION, replyId: REPLY })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(scheduler.sleeps).toEqual(Array.from({ length: 20 }, () => 5));
  });

  it('follows a reply whose stream shows up during the grace', async () => {
    const { streamChat, scheduler, state } = setup();
    state.events = [token('1-0')];
    const watching = streamChat({ userId: 'u1', conversationId: CONVERSATION, replyId: REPLY });
    const arrive = scheduler.every(30, () => (state.present = true));
    const items = await collect(await watching);
    arrive();
    expect(items).toEqual([token('1-0')]);
    // Polled every 5 ms until it appeared at 30 ms.
    expect(scheduler.sleeps).toEqual([5, 5, 5, 5, 5, 5]);
  });

  it('refuses a reply without a turn at once, without waiting, when no grace is configured', async () => {
    const { streamChat, scheduler } = setup({ startGraceMs: 0 });
    await expect(streamChat({ userId: 'u1', conversationId: CONVERSATION, replyId: REPLY })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(scheduler.sleeps).toEqual([]);
  });

  it("refuses another user's turn under the same ids as NOT_FOUND", async () => {
    const { streamChat, sendTurn } = setup({ startGraceMs: 0 });
    sendTurn({ userId: 'u2' });
    await expect(streamChat({ userId: 'u1', conversationId: CONVERSATION, replyId: REPLY })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('refuses a reply whose turn is REPLIED and whose stream expired with REPLY_EXPIRED', async () => {
    const { streamChat, sendTurn } = setup({ startGraceMs: 0 });
    sendTurn({ status: 'REPLIED' });
    await expect(streamChat({ userId: 'u1', conversationId: CONVERSATION, replyId: REPLY })).rejects.toMatchObject({
      code: 'REPLY_EXPIRED',
    });
  });

  it('follows a reply that ended before its stream existed: the end event lands just after the commit', async () => {
    const { streamChat, sendTurn, state, scheduler } = setup({ startGraceMs: 0, endedSettleMs: 2_000 });
    // A reply that failed before its first token: committed (REPLIED), its FAILED event appended 30 ms later.
    sendTurn({ status: 'REPLIED' });
    const failed: CursoredReplyEvent = {
      cursor: '1-0',
      replyId: REPLY,
      event: { kind: 'FAILED', code: 'MODEL_REJECTED', message: 'no', partialMessageId: REPLY },
    };
    const appendedAt = scheduler.now().getTime() + 30;
    state.events = [failed];
    Object.defineProperty(state, 'present', { get: () => scheduler.now().getTime() >= appendedAt });
    expect(await collect(await streamChat({ userId: 'u1', conversationId: CONVERSATION, replyId: REPLY }))).toEqual([
      failed,
    ]);
    expect(scheduler.sleeps).toEqual([5, 5, 5, 5, 5, 5]);
  });

  it('refuses an ended reply whose stream stays missing with REPLY_EXPIRED only after the settle window', async () => {
    const { streamChat, sendTurn, scheduler } = setup({ startGraceMs: 0, endedSettleMs: 200, startPollMs: 100 });
    sendTurn({ status: 'REPLIED' });
    await expect(streamChat({ userId: 'u1', conversationId: CONVERSATION, replyId: REPLY })).rejects.toMatchObject({
      code: 'REPLY_EXPIRED',
    });
    // Polled at most every 50 ms while it settles.
    expect(scheduler.sleeps).toEqual([50, 50, 50, 50]);
  });

  it('follows a reply just sent (its turn awaits the reply) before any event exists', async () => {
    const { streamChat, sendTurn, state } = setup({ startGraceMs: 0 });
    sendTurn();
    state.events = [token('1-0')];
    const items = await collect(await streamChat({ userId: 'u1', conversationId: CONVERSATION, replyId: REPLY }));
    expect(items).toEqual([token('1-0')]);
  });

  it('refuses a cursor past 64 bits with BAD_USER_INPUT before reading anything', async () => {
    const { streamChat } = setup();
    await expect(
      streamChat({ userId: 'u1', conversationId: CONVERSATION, replyId: REPLY, after: '99999999999999999999-0' }),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('ends with one SERVICE_UNAVAILABLE item and an error log when the store fails mid-stream', async () => {
    const { streamChat, state, logger } = setup();
    state.present = true;
    state.events = [token('1-0')];
    state.failure = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
    const items = await collect(await streamChat({ userId: 'u1', conversationId: CONVERSATION, replyId: REPLY }));
    expect(items).toEqual([token('1-0'), { failure: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) }]);
    expect(logger.at('error')).toEqual([
      expect.objectContaining({
        message: 'chatStream ended by a reply-stream failure',
        fields: expect.objectContaining({ replyId: REPLY }),
      }),
    ]);
  });
});
