import type { AppendChatMessages, AppendChatMessagesInput } from '../../src/application/append-chat-messages.use-case';
import { createGenerateReply, type ReplyJob } from '../../src/application/generate-reply.use-case';
import type { ModelEvent, ReplyEvent } from '../../src/domain/chat/chat-types';
import type { ChatModel, ReplyStream } from '../../src/domain/chat/ports';
import { createInMemoryHistoryCache } from '../support/fakes/in-memory-history-cache';
import { createRecordingLogger } from '../support/fakes/recording-logger';

const scope = { userId: 'u1', conversationId: 'c1' };
const job: ReplyJob = { scope, replyId: 'reply-1', choice: 'WORKER', thinking: false, prompt: [], window: 32 };
const model: ChatModel = {
  async *stream(): AsyncIterable<ModelEvent> {
    yield { type: 'token', text: 'hello' };
  },
  modelName: () => 'test-model',
};

/** A writer whose first call commits and then loses its answer (as when the connection drops right after COMMIT). */
const createLossyWriter = (options: { commitsBeforeFailing: boolean }) => {
  const committed: { messageId: string; eventId: string; seq: number; createdAt: Date }[] = [];
  const calls: AppendChatMessagesInput[] = [];
  const append: AppendChatMessages = async (input) => {
    calls.push(input);
    const stored = { messageId: input.messages[0]!.messageId!, eventId: `event-${calls.length}`, seq: 40 + calls.length, createdAt: new Date() };
    if (calls.length === 1) {
      if (options.commitsBeforeFailing) committed.push(stored);
      throw new Error('connection lost');
    }
    committed.push(stored);
    return { conversationId: input.conversationId, created: false, messages: [stored] };
  };
  const committedMessage = async (_conversationId: string, messageId: string) => committed.find((m) => m.messageId === messageId) ?? null;
  return { append, committedMessage, calls, committed };
};

const run = async (writer: ReturnType<typeof createLossyWriter>) => {
  const events: ReplyEvent[] = [];
  const replies = { append: async (_ref: unknown, event: ReplyEvent) => (events.push(event), '1-0') } as unknown as ReplyStream;
  const cache = createInMemoryHistoryCache();
  await cache.fill(scope, [{ seq: 40, role: 'user', content: 'hi' }], 32);
  const generate = createGenerateReply({ model, replies, append: writer.append, conversations: writer, cache, counter: { count: () => 1 }, logger: createRecordingLogger() });
  await generate(job);
  return { events, cached: cache.entries(scope) };
};

describe('generate reply: storing the reply through a writer that can lose its answer', () => {
  it('does not append again when the failed attempt had committed: the reply keeps its one seq', async () => {
    const writer = createLossyWriter({ commitsBeforeFailing: true });
    const { events, cached } = await run(writer);
    expect(writer.calls).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ kind: 'COMPLETED', message: { id: 'reply-1', seq: 41 } });
    expect(cached?.at(-1)).toMatchObject({ seq: 41, role: 'assistant', content: 'hello' });
  });

  it('appends again when the failed attempt had not committed', async () => {
    const writer = createLossyWriter({ commitsBeforeFailing: false });
    const { events } = await run(writer);
    expect(writer.calls).toHaveLength(2);
    expect(writer.committed.map((m) => m.seq)).toEqual([42]);
    expect(events.at(-1)).toMatchObject({ kind: 'COMPLETED', message: { seq: 42 } });
  });
});
