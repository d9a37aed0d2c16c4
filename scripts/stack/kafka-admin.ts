/** Kafka: admin-client access through kafkajs (probe the broker, ensure the topic). */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { KafkaConfig } from './config';
import { log, StackError } from './log';
import { sleep } from './proc';

/** Runs `fn(admin)` against the brokers; kafkajs's own logging is silenced. */
async function withAdmin<T>(brokers: string[], fn: (admin: Admin) => Promise<T>, { quick = false } = {}): Promise<T> {
  const kafka = new Kafka({
    clientId: 'agent-relay-stack',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: quick ? 1500 : 5000,
    requestTimeout: quick ? 3000 : 30_000,
    // A probe should answer "not yet" fast; real work may ride out a leader election.
    retry: quick ? { retries: 0 } : { retries: 8, initialRetryTime: 200 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** The topic list if a Kafka broker answers, otherwise null. */
export async function probeKafka(brokers: string[]): Promise<string[] | null> {
  const deadline = sleep(6000).then(() => null);
  const attempt = withAdmin(brokers, (admin) => admin.listTopics(), { quick: true }).catch(() => null);
  return Promise.race([attempt, deadline]);
}

/** Creates the topic if missing (true), or warns about a partition mismatch (false). */
async function createTopicIfMissing(admin: Admin, kafka: KafkaConfig): Promise<boolean> {
  if ((await admin.listTopics()).includes(kafka.topic)) {
    const meta = await admin.fetchTopicMetadata({ topics: [kafka.topic] });
    const count = meta.topics[0]?.partitions.length;
    if (count !== kafka.partitions)
      log(
        `warning: topic ${kafka.topic} has ${count} partitions, KAFKA_PARTITIONS is ${kafka.partitions} (not changed)`,
      );
    return false;
  }
  return admin.createTopics({
    topics: [{ topic: kafka.topic, numPartitions: kafka.partitions, replicationFactor: 1 }],
    waitForLeaders: true,
  });
}

export async function ensureTopic(kafka: KafkaConfig) {
  const created = await withAdmin(kafka.brokers, (admin) => createTopicIfMissing(admin, kafka)).catch(
    (error: Error) => {
      throw new StackError(`could not create Kafka topic ${kafka.topic}: ${error.message}`);
    },
  );
  log(created ? `created topic ${kafka.topic} (${kafka.partitions} partitions)` : `topic ${kafka.topic} exists`);
}
