import { execFileSync, spawnSync } from 'node:child_process';
import { REPO_ROOT, stackCommand } from '../../tools/kit/stack-cli';

const DEFAULTS = {
  DATABASE_URL: 'mariadb://root@127.0.0.1:3306/agent_relay',
  REDIS_URL: 'redis://127.0.0.1:6379',
  KAFKA_BROKERS: '127.0.0.1:9092',
};

const dockerAnswers = () => spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 }).status === 0;

/** Starts MariaDB, Redis and Kafka containers; stopped by global-teardown. */
const startContainers = async () => {
  const { GenericContainer, Wait } = await import('testcontainers');
  const mariadb = await new GenericContainer('mariadb:10.11')
    .withEnvironment({ MARIADB_ALLOW_EMPTY_ROOT_PASSWORD: '1' })
    .withExposedPorts(3306)
    .withWaitStrategy(Wait.forLogMessage(/ready for connections/, 2))
    .start();
  const redis = await new GenericContainer('redis:7').withExposedPorts(6379).start();
  // Kafka advertises its listener to clients, so the host port must equal the advertised one.
  const kafka = await new GenericContainer('apache/kafka:3.9.1')
    .withExposedPorts({ container: 9092, host: 9092 })
    .withEnvironment({ KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0', KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '1' })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  (globalThis as Record<string, unknown>)['__containers'] = [mariadb, redis, kafka];
  return {
    DATABASE_URL: `mariadb://root@${mariadb.getHost()}:${mariadb.getMappedPort(3306)}/agent_relay`,
    REDIS_URL: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
    KAFKA_BROKERS: `${kafka.getHost()}:9092`,
  };
};

/**
 * Services for the whole run, in order of preference: URLs given in the environment;
 * testcontainers when a Docker engine answers; else the project's stack script, which
 * starts what is missing (Kafka from Maven Central jars) and leaves it running.
 */
const services = async () => {
  if (process.env['DATABASE_URL'] && process.env['REDIS_URL'] && process.env['KAFKA_BROKERS']) return;
  if (process.env['TEST_USE_DOCKER'] !== '0' && dockerAnswers()) {
    Object.assign(process.env, await startContainers());
    return;
  }
  execFileSync(...stackCommand('up'), {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...DEFAULTS },
  });
  Object.assign(process.env, DEFAULTS);
};

/**
 * TEST_DATABASE_DRIVER=mysql (npm test's second integration run, jest.mysql.config.js): the same
 * MariaDB server through the MySQL driver (@mikro-orm/mysql, mysql2), which a mysql:// URL
 * selects, so the code path a MySQL 8 deployment takes (no INSERT … RETURNING) runs in CI.
 */
export default async function globalSetup() {
  await services();
  if (process.env['TEST_DATABASE_DRIVER'] === 'mysql') {
    const url = new URL(process.env['DATABASE_URL'] ?? '');
    url.protocol = 'mysql:';
    process.env['DATABASE_URL'] = url.toString();
  }
}
