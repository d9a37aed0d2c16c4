import type { ChatStreamEvent } from '../../src/cli/chat-client/operations';
import { streamReply } from '../../src/cli/chat-client/reply-stream';
import { createFakeScheduler } from '../support/fakes/fake-scheduler';
import { scriptedConnection } from '../support/fakes/scripted-connection';

const token = (n: number): ChatStreamEvent => ({
  __typename: 'TokenDelta',
  cursor: `${n}-0`,
  replyId: 'r1',
  text: `t${n}`,
});
const completed: ChatStreamEvent = {
  __typename: 'ReplyCompleted',
  cursor: '99-0',
  replyId: 'r1',
  message: { id: 'r1', seq: 2, role: 'ASSISTANT', content: 't1t2', reasoning: null, model: 'm', partial: false },
  usage: { promptTokens: null, completionTokens: null },
};

/** Each subscription plays its script: the events it sends, then a dropped socket (1006) or the reply's end. */
const scriptedStream = (subscriptions: { events: ChatStreamEvent[]; then: 'drop' | 'complete' }[]) => {
  const afters: unknown[] = [];
  const connection = scriptedConnection((payload, sink) => {
    afters.push(payload.variables?.['after']);
    const script = subscriptions[afters.length - 1] ?? { events: [], then: 'drop' };
    for (const event of script.events) sink.next({ data: { chatStream: event } });
    if (script.then === 'drop') sink.error({ code: 1006, reason: '' });
    else sink.complete();
    return () => undefined;
  });
  return { connection, afters };
};

describe('chat CLI: a reply stream that drops', () => {
  it('resubscribes after the last cursor seen, backing off 250 ms doubling, and counts again from one after an event', async () => {
    const { connection, afters } = scriptedStream([
      { events: [token(1)], then: 'drop' },
      { events: [], then: 'drop' },
      { events: [token(2)], then: 'drop' },
      { events: [completed], then: 'complete' },
    ]);
    const scheduler = createFakeScheduler({ autoAdvance: true });
    const reconnects: number[] = [];
    const events: string[] = [];
    const outcome = await streamReply(
      connection,
      { conversationId: 'c1', replyId: 'r1' },
      { onEvent: (e) => events.push(e.cursor), onReconnecting: (n) => reconnects.push(n), scheduler },
    );
    expect(outcome).toEqual({ kind: 'completed', messageId: 'r1' });
    expect(events).toEqual(['1-0', '2-0', '99-0']);
    expect(afters).toEqual([undefined, '1-0', '1-0', '2-0']);
    expect(reconnects).toEqual([1, 2, 1]);
    expect(scheduler.sleeps).toEqual([250, 500, 250]);
  });

  it('gives up with the connection error after maxRetries resubscriptions that brought nothing', async () => {
    const { connection, afters } = scriptedStream([]);
    const scheduler = createFakeScheduler({ autoAdvance: true });
    await expect(
      streamReply(
        connection,
        { conversationId: 'c1', replyId: 'r1' },
        { onEvent: () => undefined, maxRetries: 3, scheduler },
      ),
    ).rejects.toThrow(/lost the connection/);
    expect(afters).toHaveLength(4);
    expect(scheduler.sleeps).toEqual([250, 500, 1_000]);
  });

  it('ends interrupted, not failed, when the user stops watching during a wait', async () => {
    const { connection, afters } = scriptedStream([]);
    const scheduler = createFakeScheduler();
    const controller = new AbortController();
    const watching = streamReply(
      connection,
      { conversationId: 'c1', replyId: 'r1' },
      { onEvent: () => undefined, signal: controller.signal, scheduler },
    );
    await scheduler.advance(0);
    expect(scheduler.pendingSleeps()).toBe(1);
    controller.abort();
    await expect(watching).resolves.toEqual({ kind: 'interrupted' });
    expect(afters).toHaveLength(1);
  });
});
