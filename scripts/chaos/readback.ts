import { Kafka, logLevel } from 'kafkajs';
import type { ChaosEnv } from './env';

export interface DeliveredEvent {
  readonly partition: number;
  readonly offset: bigint;
  readonly conversationId: string;
  readonly seq: number;
  readonly eventId: string;
  /** The record's CreateTime (epoch ms): when the producer sent it. */
  readonly timestamp: number;
}

/** Reads the chaos topic from the beginning to its end offsets (as they are now) with a fresh group. */
export const readTopic = async (env: ChaosEnv, timeoutMs = 90_000): Promise<DeliveredEvent[]> => {
  const kafka = new Kafka({ clientId: 'chaos-verify', brokers: [env.brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(env.topic).finally(() => admin.disconnect());
  const pending = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  const events: DeliveredEvent[] = [];
  if (pending.size === 0) return events;

  const consumer = kafka.consumer({
    groupId: `chaos-verify-${env.id}-${Date.now()}`,
    sessionTimeout: 10_000,
    maxWaitTimeInMs: 200,
  });
  let finish = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: env.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const value = JSON.parse(message.value?.toString('utf8') ?? '{}') as {
            conversationId?: string;
            seq?: number;
            eventId?: string;
          };
          events.push({
            partition: batch.partition,
            offset: BigInt(message.offset),
            conversationId: String(value.conversationId),
            seq: Number(value.seq),
            eventId: String(value.eventId),
            timestamp: Number(message.timestamp),
          });
          const end = pending.get(batch.partition);
          if (end !== undefined && BigInt(message.offset) + 1n >= end) pending.delete(batch.partition);
        }
        if (pending.size === 0) finish();
      },
    });
    const timedOut = await Promise.race([
      done.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), timeoutMs).unref()),
    ]);
    if (timedOut)
      throw new Error(
        `reading ${env.topic} back timed out; partitions not read to the end: ${[...pending.keys()].join(', ')}`,
      );
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return events;
};

export interface OrderReport {
  /** A conversation's event first delivered after a later seq of the same conversation. */
  readonly inversions: string[];
  /** Copies of an event delivered again (at-least-once; the consumer dedups them). */
  readonly redeliveries: number;
  /** One (conversation, seq) published under two event ids: the writer handed out a seq twice. */
  readonly conflicts: string[];
  /** A conversation found on more than one partition (its order could not hold). */
  readonly splitConversations: string[];
}

/** Per conversation, in partition-offset order: counts inversions of first-delivery order. */
export const checkDeliveryOrder = (events: readonly DeliveredEvent[]): OrderReport => {
  const byConversation = new Map<string, DeliveredEvent[]>();
  for (const event of events) {
    const list = byConversation.get(event.conversationId) ?? [];
    list.push(event);
    byConversation.set(event.conversationId, list);
  }
  const inversions: string[] = [];
  const conflicts: string[] = [];
  const splitConversations: string[] = [];
  let redeliveries = 0;
  for (const [conversationId, list] of byConversation) {
    if (new Set(list.map((e) => e.partition)).size > 1) splitConversations.push(conversationId);
    list.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
    const firstSeen = new Map<number, DeliveredEvent>();
    let highest = 0;
    for (const event of list) {
      const earlier = firstSeen.get(event.seq);
      if (earlier) {
        redeliveries += 1;
        if (earlier.eventId !== event.eventId)
          conflicts.push(`${conversationId} seq ${event.seq}: event ${earlier.eventId} and ${event.eventId}`);
        continue;
      }
      firstSeen.set(event.seq, event);
      if (event.seq < highest)
        inversions.push(
          `${conversationId}: seq ${event.seq} first delivered at p${event.partition}@${event.offset}, after seq ${highest}`,
        );
      highest = Math.max(highest, event.seq);
    }
  }
  return { inversions, redeliveries, conflicts, splitConversations };
};
