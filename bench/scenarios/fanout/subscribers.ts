import type { Client } from 'graphql-ws';
import { CHAT_STREAM, type StreamEvent } from '../../../test/support/chat-client';
import { follow } from '../../lib/graphql';

/**
 * Many subscriptions following replies, measuring delivery latency: a reply-stream cursor is
 * the Redis Stream entry id, whose first part is the server's clock (ms) at XADD, i.e. the
 * append time. Each subscription first catches up on what was already in the stream; only
 * events appended after its first delivery count as live, so start-up backlog is left out.
 */
export const createFanout = () => {
  const latencies: number[] = [];
  const firstSeen: (number | undefined)[] = [];
  const errors: string[] = [];
  let deliveries = 0;
  let stopped = false;
  const running: Promise<void>[] = [];

  const subscribe = (ws: Client, variables: { conversationId: string; replyId: string }) => {
    const index = firstSeen.push(undefined) - 1;
    const done = follow<{ chatStream: StreamEvent }>(
      ws,
      CHAT_STREAM,
      variables,
      ({ chatStream: event }) => {
        if (stopped) return true;
        const receivedAt = Date.now();
        deliveries += 1;
        const appendedAt = Number(event.cursor.split('-')[0]);
        const first = firstSeen[index];
        if (first === undefined) firstSeen[index] = receivedAt;
        else if (appendedAt >= first) latencies.push(receivedAt - appendedAt);
        return event.__typename === 'ReplyCompleted' || event.__typename === 'ReplyFailed';
      },
      300_000,
    ).then((outcome) => void (outcome.error && !stopped && errors.push(outcome.error)));
    running.push(done);
  };

  return {
    subscribe,
    /** Resolves when every subscription has ended on its own (its reply completed). */
    settled: () => Promise.all(running),
    live: () => firstSeen.filter((t) => t !== undefined).length,
    opened: () => firstSeen.length,
    deliveries: () => deliveries,
    samples: () => latencies.length,
    /** Stops measuring and unsubscribes everything. */
    async stop() {
      stopped = true;
      await Promise.race([Promise.all(running), new Promise((resolve) => setTimeout(resolve, 10_000))]);
      return { latencies, errors };
    },
  };
};

/** The floor without fan-out: one subscription alone on its own reply, followed to the end. */
export const loneDelivery = async (ws: Client, variables: { conversationId: string; replyId: string }) => {
  const fanout = createFanout();
  fanout.subscribe(ws, variables);
  await fanout.settled();
  return (await fanout.stop()).latencies;
};
