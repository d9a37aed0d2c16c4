import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { patchKafkajsIdleTimer } from '../../src/infra/kafka/kafkajs-idle-timer.patch';
import { brokerControl } from '../support/broker-control';
import { testConfig } from '../support/test-config';

/**
 * The request-timeout check that src/infra/kafka/kafkajs-idle-timer.patch.ts arms per request
 * instead of kafkajs's 100 ms interval, against a real broker that stops answering while its
 * connections stay open (SIGSTOP): only that check ends such a send.
 */
describe('a frozen Kafka broker (connections open, nothing answered)', () => {
  const broker = brokerControl();
  const REQUEST_TIMEOUT_MS = 1_500;
  const topic = `test-frozen-${randomUUID()}`;
  const kafka = new Kafka({
    clientId: 'frozen-broker-test',
    // The suite's own broker: faults-global-setup.ts puts it in KAFKA_BROKERS, which testConfig reads.
    brokers: [...testConfig().kafka.brokers],
    requestTimeout: REQUEST_TIMEOUT_MS,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  let producer: Producer;
  const send = (value: string) => producer.send({ topic, acks: -1, messages: [{ value }] });

  beforeAll(async () => {
    patchKafkajsIdleTimer();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
  });
  afterAll(async () => {
    broker.thaw();
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('fails a send once the request timeout has passed, not sooner and not never; sends again once the broker answers', async () => {
    await send('before');
    broker.freeze();
    const started = Date.now();
    const error = await send('while frozen').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    const waited = Date.now() - started;
    broker.thaw();
    expect(error?.message).toMatch(/timed out/i);
    expect(waited).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
    expect(waited).toBeLessThan(REQUEST_TIMEOUT_MS + 3_000);
    await expect(send('after')).resolves.toEqual([expect.objectContaining({ topicName: topic, errorCode: 0 })]);
  });
});
