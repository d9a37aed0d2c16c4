import type { Consumer, Producer } from 'kafkajs';
import { createKafka } from '../../src/infra/kafka/create-kafka';
import { createLogger } from '../../src/infra/logger';
import { deferred } from '../support/eventually';
import { deleteTopic, testKafka } from '../support/kafka-admin';
import { testConfig } from '../support/test-config';

describe('Kafka round trip on the real broker', () => {
  const config = testConfig();
  const logger = createLogger({ level: 'silent' });
  const kafka = createKafka(config.kafka, logger);
  let producer: Producer;
  let consumer: Consumer;

  beforeAll(async () => {
    await kafka.start();
    producer = kafka.kafka().producer({ idempotent: true });
    consumer = kafka.kafka().consumer({ groupId: config.kafka.groupId });
    await Promise.all([producer.connect(), consumer.connect()]);
  });
  afterAll(async () => {
    await Promise.all([producer.disconnect(), consumer.disconnect()]);
    await kafka.stop();
    await deleteTopic(config.kafka);
  });

  it('creates the topic with the configured partition count at start', async () => {
    const admin = testKafka(config.kafka).admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [config.kafka.topic] });
    await admin.disconnect();
    expect(metadata.topics[0]?.partitions).toHaveLength(config.kafka.partitions);
  });

  it('delivers a produced record, key and headers intact, to a consumer group', async () => {
    const received = deferred<{ key: string; value: string; header: string }>();
    await consumer.subscribe({ topic: config.kafka.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) =>
        received.resolve({
          key: String(message.key),
          value: String(message.value),
          header: String(message.headers?.['event-id']),
        }),
    });
    await producer.send({
      topic: config.kafka.topic,
      acks: -1,
      messages: [{ key: 'conv-1', value: 'hello', headers: { 'event-id': 'e-1' } }],
    });
    await expect(received.promise).resolves.toEqual({ key: 'conv-1', value: 'hello', header: 'e-1' });
  });

  it('reports ready while the broker answers', async () => {
    await expect(kafka.ready()).resolves.toBe(true);
  });
});
