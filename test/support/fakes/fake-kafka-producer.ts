import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, type Kafka, type Message, type Producer, type ProducerBatch } from 'kafkajs';
import type { KafkaClient } from '../../../src/infra/kafka/create-kafka';

export interface FakeProducer {
  /** Messages the "broker" accepted, in order, with their topic. */
  readonly accepted: { topic: string; message: Message }[];
  /** How many sendBatch calls were made, accepted or not. */
  readonly sends: { count: number };
  /** A record (by its `outbox-id` header) the broker always rejects as too large. */
  rejectAsTooLarge(outboxId: string): void;
  brokerDown(down?: boolean): void;
  readonly client: KafkaClient;
}

/** Errors built with kafkajs's own classes, wrapped the way its retrier wraps them. */
export const connectionRefused = () =>
  new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { retryCount: 3, retryTime: 100 });
export const messageTooLarge = () => {
  const response = Object.assign(new Error('The request included a message larger than the max message size the server will accept'), { type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false });
  const protocol = new KafkaJSProtocolError(response);
  // kafkajs's retrier passes `{ cause }` as a second argument its typings leave out.
  return Object.assign(new KafkaJSNonRetriableError(protocol), { cause: protocol });
};

const outboxIdOf = (message: Message) => message.headers?.['outbox-id']?.toString();

/** A KafkaClient whose producer keeps sendBatch all-or-nothing, as one failing request fails the call. */
export const createFakeKafkaProducer = (): FakeProducer => {
  const accepted: { topic: string; message: Message }[] = [];
  const sends = { count: 0 };
  const tooLarge = new Set<string>();
  let down = false;
  const producer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    async sendBatch(batch: ProducerBatch) {
      sends.count += 1;
      const all = (batch.topicMessages ?? []).flatMap(({ topic, messages }) => messages.map((message) => ({ topic, message })));
      if (down) throw connectionRefused();
      if (all.some(({ message }) => tooLarge.has(outboxIdOf(message) ?? ''))) throw messageTooLarge();
      accepted.push(...all);
      return [];
    },
  };
  const kafka = { producer: () => producer as unknown as Producer } as unknown as Kafka;
  return {
    accepted,
    sends,
    rejectAsTooLarge: (outboxId) => tooLarge.add(outboxId),
    brokerDown(isDown = true) {
      down = isDown;
    },
    client: { name: 'fake-kafka', start: async () => undefined, stop: async () => undefined, ready: async () => true, kafka: () => kafka },
  };
};
