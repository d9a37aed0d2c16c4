import { Redis } from 'ioredis';
import { loadConfig, type AppConfig } from '../../src/config';
import { migrateUp } from '../../src/tooling';
import { runNames, withDatabaseName, type RunNames } from '../../tools/kit/run-names';
import { toolServices } from '../../tools/kit/tool-services';
import { deleteTopicsAndGroups } from './kafka';
import type { Scope } from './scope';
import { openSql, type Sql } from './sql';

export type Env = Record<string, string | undefined>;

let userSettings: Env = {};
/** Settings from the command line (--set), applied under each scenario's own overrides. */
export const useSettings = (settings: Env) => {
  userSettings = { ...settings };
};

/**
 * The environment the product reads, for a bench run: the services from this shell's
 * DATABASE_URL / REDIS_URL / KAFKA_BROKERS, else the ones the stack brought up (.stack/app.env,
 * whose scheme matches the server), else the app's defaults; the run's own names, warn-level
 * logs, then --set settings, then the scenario's overrides.
 */
export const benchEnv = (names: RunNames, overrides: Env = {}): Env => {
  const services = toolServices();
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    // A metrics-only listener starts when the api role is off; an ephemeral port keeps runs apart.
    METRICS_PORT: '0',
    DATABASE_URL: withDatabaseName(services.DATABASE_URL, names.dbName),
    REDIS_URL: services.REDIS_URL,
    KAFKA_BROKERS: services.KAFKA_BROKERS,
    REDIS_PREFIX: names.prefix,
    KAFKA_TOPIC: names.topic,
    KAFKA_CONSUMER_GROUP: names.group,
    KAFKA_CLIENT_ID: 'agent-relay-bench',
    JWT_SECRET: `bench-secret-${names.id}-0123456789abcdef`,
    SHUTDOWN_TIMEOUT_MS: '10000',
    ...userSettings,
    ...overrides,
  };
};

const benchConfig = (names: RunNames, overrides: Env = {}): AppConfig => {
  const result = loadConfig(benchEnv(names, overrides));
  if (!result.ok) throw new Error(`bench config invalid:\n${result.errors.join('\n')}`);
  return result.config;
};

const deleteRedisPrefix = async (url: string, prefix: string) => {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
};

export interface Provisioned {
  readonly names: RunNames;
  readonly config: (overrides?: Env) => AppConfig;
  /** A harness-side pool on the run's database. */
  readonly sql: Sql;
}

/**
 * Creates and migrates the run's database and registers the cleanup of everything the names
 * cover (database, topic, consumer group, Redis keys under the prefix) on the scope.
 */
export const provision = async (scope: Scope, label: string): Promise<Provisioned> => {
  const names = runNames('bench', label);
  const config = (overrides: Env = {}) => benchConfig(names, overrides);
  const base = config();
  scope.defer(`drop database ${names.dbName}`, async () => {
    const sql = await openSql(base.db, 1);
    try {
      await sql.run(`DROP DATABASE IF EXISTS \`${names.dbName}\``);
    } finally {
      await sql.close();
    }
  });
  scope.defer(`delete Kafka topic/group of ${names.id}`, () =>
    deleteTopicsAndGroups(base.kafka, [names.topic], [names.group]),
  );
  scope.defer(`delete Redis keys ${names.prefix}*`, () => deleteRedisPrefix(base.redis.url, names.prefix));
  await migrateUp(base.db);
  const sql = await openSql(base.db);
  scope.defer(`close sql ${names.dbName}`, () => sql.close());
  return { names, config, sql };
};
