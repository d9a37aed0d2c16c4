import { Partitioners, type ICustomPartitioner, type Message, type Producer, type RecordMetadata } from 'kafkajs';
import { encodeEnvelope } from '../../domain/chat-message-envelope';
import { groupBy } from '../../domain/group-by';
import type { OutboxMessage } from '../../domain/outbox-message';
import type { EventPublisher, LogPosition, PublishFailure } from '../../domain/ports/event-publisher';
import { createStatusTracker, type Component } from '../lifecycle';
import type { Logger } from '../logger';
import type { KafkaClient } from './create-kafka';
import { classifyPublishError, describeError, needsNewProducer } from './kafka-errors';

/** Which partition the partitioner chose for each message object (the last choice wins on a retry). */
type PartitionLog = WeakMap<Message, number>;

/** kafkajs's default partitioner, reporting its choice so acknowledged records can be placed in the log. */
const recordingPartitioner =
  (chosen: PartitionLog): ICustomPartitioner =>
  () => {
    const partition = Partitioners.DefaultPartitioner();
    return (args) => {
      const choice = partition(args);
      chosen.set(args.message, choice);
      return choice;
    };
  };

interface Outgoing {
  readonly row: OutboxMessage;
  readonly message: Message;
}

/**
 * Where each record landed: the broker answers one base offset per topic-partition, and the
 * records of one partition in one request are appended in request order at consecutive offsets
 * (kafkajs keeps the input order per partition; the idempotent producer never splits or reorders).
 */
const positionsOf = (
  sent: readonly { topic: string; outgoing: readonly Outgoing[] }[],
  chosen: PartitionLog,
  metadata: readonly RecordMetadata[],
) => {
  const base = new Map(metadata.map((m) => [`${m.topicName}:${m.partition}`, m.baseOffset ?? m.offset]));
  const next = new Map<string, number>();
  const positions = new Map<string, LogPosition | null>();
  for (const { topic, outgoing } of sent) {
    for (const { row, message } of outgoing) {
      const partition = chosen.get(message);
      const first = partition === undefined ? undefined : base.get(`${topic}:${partition}`);
      if (partition === undefined || first === undefined || Number(first) < 0) {
        positions.set(row.id, null);
        continue;
      }
      const key = `${topic}:${partition}`;
      const index = next.get(key) ?? 0;
      next.set(key, index + 1);
      positions.set(row.id, { partition, offset: Number(first) + index });
    }
  }
  return positions;
};

const ISOLATION_CONCURRENCY = 16;
const HELD_BACK: PublishFailure = { error: 'held back behind an earlier failure', permanent: false };

export const createKafkaPublisher = (deps: { kafka: KafkaClient; logger: Logger }): EventPublisher & Component => {
  const status = createStatusTracker('kafka-producer', deps.logger);
  const chosen: PartitionLog = new WeakMap();
  let producer: Producer | undefined;
  // Idempotent + acks=all: broker-side dedup of producer retries. Retries are bounded on
  // purpose so an outage surfaces as a failed send (the relay pauses as a whole) instead of
  // a send that never returns; the consumer's event-id dedup covers any resulting copy.
  const newProducer = () =>
    deps.kafka.kafka().producer({
      createPartitioner: recordingPartitioner(chosen),
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 },
    });
  let renewing: Promise<void> | undefined;
  /** One replacement at a time, however many sends saw the stale state; the next send uses the new producer. */
  const renewProducer = (error: unknown) => {
    renewing ??= (async () => {
      deps.logger.warn(
        { err: describeError(error) },
        'kafka producer state is stale (broker restarted?): replacing the producer',
      );
      const old = producer;
      const fresh = newProducer();
      await fresh.connect();
      producer = fresh;
      await old?.disconnect().catch(() => undefined);
    })().finally(() => (renewing = undefined));
    return renewing;
  };
  /** Sends rows and answers where each landed. */
  const send = async (rows: readonly OutboxMessage[]) => {
    if (!producer) throw new Error('producer not started');
    const sent = [...groupBy(rows, (m) => m.topic).entries()].map(([topic, list]) => ({
      topic,
      outgoing: list.map((row) => ({ row, message: encodeEnvelope(row) })),
    }));
    try {
      const metadata = await producer.sendBatch({
        acks: -1,
        topicMessages: sent.map(({ topic, outgoing }) => ({ topic, messages: outgoing.map((o) => o.message) })),
      });
      return positionsOf(sent, chosen, metadata);
    } catch (error) {
      // Classified 'unavailable' (the rows keep their attempts); the relay's next probe uses the new producer.
      if (needsNewProducer(error))
        await renewProducer(error).catch((renewal: unknown) =>
          deps.logger.warn({ err: describeError(renewal) }, 'kafka producer not replaced; retrying at the next send'),
        );
      throw error;
    }
  };
  const failureOf = (error: unknown): PublishFailure => ({
    error: describeError(error),
    permanent: classifyPublishError(error) === 'record',
  });

  /**
   * One conversation, row by row in order, stopping at the first failure: it alone takes the
   * blame, unless the broker itself failed, which blames nobody and ends the isolation.
   */
  const sendConversation = async (rows: readonly OutboxMessage[], outcome: Isolation) => {
    for (const [index, row] of rows.entries()) {
      if (outcome.unavailable !== undefined) return;
      try {
        for (const [id, position] of await send([row])) outcome.acknowledged.set(id, position);
      } catch (error) {
        if (classifyPublishError(error) === 'unavailable') {
          outcome.unavailable = describeError(error);
          return;
        }
        outcome.failures.set(row.id, failureOf(error));
        for (const later of rows.slice(index + 1)) outcome.failures.set(later.id, HELD_BACK);
        return;
      }
    }
  };

  const isolateFailures = async (messages: readonly OutboxMessage[]): Promise<Isolation> => {
    const queue = [...groupBy(messages, (m) => m.aggregateId).values()].map((rows) =>
      rows.sort((a, b) => a.aggregateSeq - b.aggregateSeq),
    );
    const outcome: Isolation = { acknowledged: new Map(), failures: new Map(), unavailable: undefined };
    const workers = Array.from({ length: Math.min(ISOLATION_CONCURRENCY, queue.length) }, async () => {
      for (let rows = queue.shift(); rows; rows = queue.shift()) await sendConversation(rows, outcome);
    });
    await Promise.all(workers);
    return outcome;
  };

  return {
    name: 'kafka-producer',
    async start() {
      status.set('starting');
      producer = newProducer();
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
        return { acknowledged: await send(messages), failures: new Map() };
      } catch (error) {
        if (classifyPublishError(error) === 'unavailable')
          return { acknowledged: new Map(), failures: new Map(), unavailable: describeError(error) };
        deps.logger.warn(
          { err: describeError(error), rows: messages.length },
          'batch publish failed; isolating the failing rows',
        );
        if (messages.length === 1)
          return { acknowledged: new Map(), failures: new Map([[messages[0]!.id, failureOf(error)]]) };
        return isolateFailures(messages);
      }
    },
  };
};

interface Isolation {
  acknowledged: Map<string, LogPosition | null>;
  failures: Map<string, PublishFailure>;
  unavailable: string | undefined;
}
