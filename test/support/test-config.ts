import { loadConfig, type AppConfig } from '../../src/config';
import { runNames, withDatabaseName } from '../../tools/kit/run-names';

/**
 * Config for one test file: the run's services, with its own database, Kafka topic,
 * consumer group and Redis prefix, an ephemeral HTTP port, and quiet logs.
 */
export const testEnv = (overrides: Record<string, string | undefined> = {}) => {
  const names = runNames('test');
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    DATABASE_URL: withDatabaseName(process.env['DATABASE_URL'] ?? '', names.dbName),
    REDIS_URL: process.env['REDIS_URL'],
    REDIS_PREFIX: names.prefix,
    KAFKA_BROKERS: process.env['KAFKA_BROKERS'],
    KAFKA_TOPIC: names.topic,
    KAFKA_PARTITIONS: '3',
    KAFKA_CONSUMER_GROUP: names.group,
    JWT_SECRET: `test-secret-${names.id}-0123456789abcdef`,
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...overrides,
  };
};

export const testConfig = (overrides: Record<string, string | undefined> = {}): AppConfig => {
  const result = loadConfig(testEnv(overrides));
  if (!result.ok) throw new Error(`test config invalid:\n${result.errors.join('\n')}`);
  return result.config;
};
