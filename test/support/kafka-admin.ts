import { Kafka, logLevel } from 'kafkajs';
import type { AppConfig } from '../../src/config';

export const testKafka = (config: AppConfig['kafka']) =>
  new Kafka({ clientId: `test-${config.clientId}`, brokers: [...config.brokers], logLevel: logLevel.NOTHING });

/** Removes a test's topic so runs do not pile topics up on the shared broker. */
export const deleteTopic = async (config: AppConfig['kafka']) => {
  const admin = testKafka(config).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [config.topic], timeout: 10_000 }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
};
