import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { classifyPublishError } from '../../src/infra/kafka/kafka-errors';
import { freePort } from '../../tools/kit/free-port';
import { testConfig } from '../support/test-config';

/**
 * The errors kafkajs 2.2.4 really throws, provoked on the real broker with the relay's producer
 * settings, land in the class the relay acts on: the broker's fault pauses, the record's fault
 * goes DEAD.
 */
describe('publish error classification against the real broker', () => {
  const config = testConfig();
  const producers: Producer[] = [];
  const producerFor = (brokers: string[]) => {
    const kafka = new Kafka({
      clientId: `classify-${randomUUID()}`,
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1_000,
      retry: { retries: 1 },
    });
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
    });
    producers.push(producer);
    return producer;
  };
  const failureOf = async (producer: Producer, topic: string, value: string) => {
    try {
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: [{ key: 'k', value }] }] });
    } catch (error) {
      return error;
    }
    throw new Error('the send was expected to fail');
  };
  afterAll(async () => {
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
  });

  it('blames the broker when nothing listens on its port (connection refused)', async () => {
    const producer = producerFor([`127.0.0.1:${await freePort()}`]);
    // kafkajs refuses sends on a producer it never connected, so the transport error comes from connecting.
    const error: unknown = await producer.connect().then(
      () => new Error('the connection was expected to fail'),
      (caught: unknown) => caught,
    );
    expect(String((error as Error).message)).toMatch(/ECONNREFUSED/);
    expect(classifyPublishError(error)).toBe('unavailable');
  });

  it('blames the broker (misconfiguration) when the topic does not exist and the producer may not create it', async () => {
    const producer = producerFor([...config.kafka.brokers]);
    await producer.connect();
    const error = await failureOf(producer, `missing-${randomUUID()}`, 'x');
    expect(error).toMatchObject({ name: 'KafkaJSNumberOfRetriesExceeded' });
    expect(classifyPublishError(error)).toBe('unavailable');
  });

  it("blames the record when it is above the broker's maximum message size", async () => {
    const producer = producerFor([...config.kafka.brokers]);
    await producer.connect();
    const admin = new Kafka({
      clientId: `classify-admin-${randomUUID()}`,
      brokers: [...config.kafka.brokers],
      logLevel: logLevel.NOTHING,
    }).admin();
    const topic = `too-large-${randomUUID()}`;
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      const error = await failureOf(producer, topic, 'x'.repeat(1_200_000));
      expect(classifyPublishError(error)).toBe('record');
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
