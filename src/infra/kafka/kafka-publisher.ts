import { Partitioners, type Message, type Producer } from 'kafkajs';
import { ENVELOPE_VERSION } from '../../domain/chat-event';
import type { OutboxMessage } from '../../domain/outbox-message';
import type { EventPublisher, PublishFailure } from '../../domain/ports/event-publisher';
import { createStatusTracker, type Component } from '../lifecycle';
import type { Logger } from '../logger';
import type { KafkaClient } from './create-kafka';
import { describeError, isBrokerUnavailable, isPermanentPublishError } from './kafka-errors';

/** The versioned envelope (docs/envelope.md) built from the row: key = conversation id. */
export const toKafkaMessage = (m: OutboxMessage): Message => ({
  key: m.aggregateId,
  value: JSON.stringify({
    schemaVersion: ENVELOPE_VERSION,
    eventId: m.eventId,
    eventType: m.eventType,
    conversationId: m.aggregateId,
    seq: m.aggregateSeq,
    occurredAt: m.createdAt.toISOString(),
    payload: m.payload,
  }),
  headers: {
    ...m.headers,
    'event-id': m.eventId,
    'event-type': m.eventType,
    'schema-version': String(ENVELOPE_VERSION),
    'outbox-id': m.id,
  },
});

/** Groups in input order without copying a list per element (batches hold thousands of rows). */
const groupBy = <T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> => {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
};

const byTopic = (messages: readonly OutboxMessage[]) =>
  [...groupBy(messages, (m) => m.topic).entries()].map(([topic, list]) => ({ topic, messages: list.map(toKafkaMessage) }));

const ISOLATION_CONCURRENCY = 16;

export const createKafkaPublisher = (deps: { kafka: KafkaClient; logger: Logger }): EventPublisher & Component => {
  const status = createStatusTracker('kafka-producer', deps.logger);
  let producer: Producer | undefined;
  const send = async (messages: readonly OutboxMessage[]) => {
    if (!producer) throw new Error('producer not started');
    await producer.sendBatch({ acks: -1, topicMessages: byTopic(messages) });
  };
  const failureOf = (error: unknown): PublishFailure => ({ error: describeError(error), permanent: isPermanentPublishError(error) });

  /** One conversation, row by row in order, stopping at the first failure: it alone takes the blame. */
  const sendConversation = async (rows: readonly OutboxMessage[], failures: Map<string, PublishFailure>) => {
    for (const [index, row] of rows.entries()) {
      try {
        await send([row]);
      } catch (error) {
        failures.set(row.id, failureOf(error));
        for (const later of rows.slice(index + 1)) failures.set(later.id, { error: 'held back behind an earlier failure', permanent: false });
        return;
      }
    }
  };

  const isolateFailures = async (messages: readonly OutboxMessage[]) => {
    const queue = [...groupBy(messages, (m) => m.aggregateId).values()].map((rows) => rows.sort((a, b) => a.aggregateSeq - b.aggregateSeq));
    const failures = new Map<string, PublishFailure>();
    const workers = Array.from({ length: Math.min(ISOLATION_CONCURRENCY, queue.length) }, async () => {
      for (let rows = queue.shift(); rows; rows = queue.shift()) await sendConversation(rows, failures);
    });
    await Promise.all(workers);
    return failures;
  };

  return {
    name: 'kafka-producer',
    async start() {
      status.set('starting');
      // Idempotent + acks=all: broker-side dedup of producer retries. Retries are bounded on
      // purpose so an outage surfaces as a failed attempt (recorded, backed off) instead of a
      // send that never returns; the consumer's event-id dedup covers any resulting copy.
      producer = deps.kafka.kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 } });
      await producer.connect();
      status.set('ready');
    },
    async stop() {
      await producer?.disconnect();
      producer = undefined;
      status.set('stopped');
    },
    ready: async () => status.get() === 'ready',
    async publish(messages) {
      try {
        await send(messages);
        return { failures: new Map() };
      } catch (error) {
        deps.logger.warn({ err: describeError(error), rows: messages.length }, 'batch publish failed');
        if (isBrokerUnavailable(error) || messages.length === 1) {
          const failure = failureOf(error);
          return { failures: new Map(messages.map((m) => [m.id, failure])) };
        }
        return { failures: await isolateFailures(messages) };
      }
    },
  };
};
