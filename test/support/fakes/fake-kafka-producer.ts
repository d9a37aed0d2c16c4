import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  type Admin,
  type Kafka,
  type Message,
  type PartitionMetadata,
  type Producer,
  type ProducerBatch,
  type ProducerConfig,
  type RecordMetadata,
} from 'kafkajs';
import type { KafkaClient } from '../../../src/infra/kafka/create-kafka';

export interface FakeProducer {
  /** Messages the "broker" accepted, in order, with their topic, partition and offset. */
  readonly accepted: { topic: string; message: Message; partition: number; offset: number }[];
  /** How many sendBatch calls were made, accepted or not. */
  readonly sends: { count: number };
  /** A record (by its `outbox-id` header) the broker always rejects as too large. */
  rejectAsTooLarge(outboxId: string): void;
  brokerDown(down?: boolean): void;
  /** The broker restarted under the idempotent producer: its sends fail with OUT_OF_ORDER_SEQUENCE_NUMBER until a new producer is made. */
  forgetProducerState(): void;
  /** Producers made by the client so far. */
  readonly producersCreated: { count: number };
  readonly client: KafkaClient;
}

/** Errors built with kafkajs's own classes, wrapped the way its retrier wraps them. */
export const connectionRefused = () =>
  new KafkaJSNumberOfRetriesExceeded(
    new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'),
    { retryCount: 3, retryTime: 100 },
  );
export const messageTooLarge = () => {
  const response = Object.assign(
    new Error('The request included a message larger than the max message size the server will accept'),
    { type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false },
  );
  const protocol = new KafkaJSProtocolError(response);
  // kafkajs's retrier passes `{ cause }` as a second argument its typings leave out.
  return Object.assign(new KafkaJSNonRetriableError(protocol), { cause: protocol });
};

export const outOfOrderSequence = () => {
  const response = Object.assign(new Error('The broker received an out of order sequence number'), {
    type: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
    code: 45,
    retriable: false,
  });
  const protocol = new KafkaJSProtocolError(response);
  return Object.assign(new KafkaJSNonRetriableError(protocol), { cause: protocol });
};

const outboxIdOf = (message: Message) => message.headers?.['outbox-id']?.toString();

const FAKE_PARTITIONS = 3;
const partitionMetadata: PartitionMetadata[] = Array.from({ length: FAKE_PARTITIONS }, (_, partitionId) => ({
  partitionErrorCode: 0,
  partitionId,
  leader: 1,
  replicas: [1],
  isr: [1],
}));

/**
 * A KafkaClient whose producer keeps sendBatch all-or-nothing, as one failing request fails the
 * call. Like kafkajs it asks the configured partitioner for each message's partition and
 * answers one base offset per topic-partition, the records following it in request order.
 */
export const createFakeKafkaProducer = (): FakeProducer => {
  const accepted: FakeProducer['accepted'] = [];
  const logEnd = new Map<string, number>();
  let partitioner: ReturnType<NonNullable<ProducerConfig['createPartitioner']>> = () => 0;
  const sends = { count: 0 };
  const tooLarge = new Set<string>();
  let down = false;
  let stale = false;
  const producersCreated = { count: 0 };
  const producer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    async sendBatch(batch: ProducerBatch) {
      sends.count += 1;
      const all = (batch.topicMessages ?? []).flatMap(({ topic, messages }) =>
        messages.map((message) => ({ topic, message })),
      );
      if (down) throw connectionRefused();
      if (stale) throw outOfOrderSequence();
      if (all.some(({ message }) => tooLarge.has(outboxIdOf(message) ?? ''))) throw messageTooLarge();
      const metadata = new Map<string, RecordMetadata>();
      for (const { topic, message } of all) {
        const partition = partitioner({ topic, partitionMetadata, message });
        const key = `${topic}:${partition}`;
        const offset = logEnd.get(key) ?? 0;
        logEnd.set(key, offset + 1);
        if (!metadata.has(key))
          metadata.set(key, {
            topicName: topic,
            partition,
            errorCode: 0,
            baseOffset: String(offset),
            logAppendTime: '-1',
            logStartOffset: '0',
          });
        accepted.push({ topic, message, partition, offset });
      }
      return [...metadata.values()];
    },
  };
  const kafka = {
    producer: (config: ProducerConfig = {}) => {
      producersCreated.count += 1;
      stale = false;
      if (config.createPartitioner) partitioner = config.createPartitioner();
      return producer as unknown as Producer;
    },
  } as unknown as Kafka;
  return {
    accepted,
    sends,
    rejectAsTooLarge: (outboxId) => tooLarge.add(outboxId),
    brokerDown(isDown = true) {
      down = isDown;
    },
    forgetProducerState() {
      stale = true;
    },
    producersCreated,
    client: {
      name: 'fake-kafka',
      start: async () => undefined,
      stop: async () => undefined,
      ready: async () => true,
      kafka: () => kafka,
      admin: (): Admin => {
        throw new Error('the fake Kafka client has no admin');
      },
    },
  };
};
