import { Kafka, logLevel } from 'kafkajs';
import type { AppConfig } from '../../src/config';

/** A kafkajs client for the harness's own producers, consumers and admin work. */
export const benchKafka = (config: AppConfig['kafka'], clientId = 'agent-relay-bench') =>
  new Kafka({
    clientId,
    brokers: [...config.brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 200 },
  });

export const createTopic = async (config: AppConfig['kafka'], topic: string, partitions = config.partitions) => {
  const admin = benchKafka(config).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: -1 }],
    });
  } finally {
    await admin.disconnect();
  }
};

/** Removes topics and consumer groups; ones that do not exist are skipped silently. */
export const deleteTopicsAndGroups = async (
  config: AppConfig['kafka'],
  topics: readonly string[],
  groups: readonly string[],
) => {
  const admin = benchKafka(config).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((topic) => existing.has(topic));
    if (doomed.length) await admin.deleteTopics({ topics: doomed, timeout: 10_000 });
    const known = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
    const groupsToDelete = groups.filter((group) => known.has(group));
    if (groupsToDelete.length) await admin.deleteGroups(groupsToDelete).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
};
