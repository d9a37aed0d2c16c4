import type { ServiceKey, ServiceUrls } from '../../tools/kit/stack-app-env';

/**
 * Where the test run's database, Redis and Kafka come from. Each service is decided on its own:
 *
 * 1. its variable (DATABASE_URL, REDIS_URL, KAFKA_BROKERS) when set: used as given, nothing started;
 * 2. else a testcontainer when a Docker engine answers (TEST_USE_DOCKER=0 skips Docker);
 * 3. else the stack script (`scripts/stack.ts up`), which reuses or starts local servers and names
 *    them in its app.env (the database URL's scheme following the server that answers).
 *
 * TEST_DATABASE picks the database container: `mariadb` (default, mariadb:10.11) or `mysql8`
 * (mysql:8.4, reached through mysql:// and so the MySQL driver). TEST_DATABASE_DRIVER=mysql (npm
 * test's second integration run) turns the database URL into mysql://, whatever served it.
 * The decision is pure (planTestServices); resolveTestServices carries it out through injected
 * effects, so both are unit-tested without a Docker engine.
 */

export type ContainerName = 'mariadb' | 'mysql8' | 'redis' | 'kafka';

type ServiceSource =
  | { readonly from: 'env'; readonly value: string }
  | { readonly from: 'container'; readonly container: ContainerName }
  | { readonly from: 'stack' };

export interface TestServicesPlan {
  readonly services: Readonly<Record<ServiceKey, ServiceSource>>;
  /** The database URL is rewritten to mysql:// once known (the MySQL driver on whatever server answers). */
  readonly mysqlDriver: boolean;
}

export type TestServicesErrorCode =
  | 'TEST_SERVICES_UNKNOWN_OPTION'
  | 'TEST_SERVICES_CONFLICT'
  | 'TEST_SERVICES_NO_DOCKER'
  | 'TEST_SERVICES_STACK_INCOMPLETE';

export class TestServicesError extends Error {
  override readonly name = 'TestServicesError';
  constructor(
    readonly code: TestServicesErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** A variable, trimmed; empty counts as unset (as in src/config.ts). */
const setting = (env: Env, name: string) => env[name]?.trim() || undefined;

const DATABASE_CONTAINERS = { mariadb: 'mariadb', mysql8: 'mysql8' } as const;

/**
 * The plan for this run. `dockerAnswers` is asked only when some service is missing (it takes
 * seconds when no engine is there) and never when TEST_USE_DOCKER=0.
 */
export const planTestServices = (env: Env, dockerAnswers: () => boolean): TestServicesPlan => {
  const testDatabase = setting(env, 'TEST_DATABASE') ?? 'mariadb';
  if (!Object.hasOwn(DATABASE_CONTAINERS, testDatabase))
    throw new TestServicesError(
      'TEST_SERVICES_UNKNOWN_OPTION',
      `TEST_DATABASE=${testDatabase}: expected mariadb (default) or mysql8`,
    );
  const driver = setting(env, 'TEST_DATABASE_DRIVER');
  if (driver !== undefined && driver !== 'mysql')
    throw new TestServicesError(
      'TEST_SERVICES_UNKNOWN_OPTION',
      `TEST_DATABASE_DRIVER=${driver}: expected mysql or unset`,
    );
  const wantsMysql8 = testDatabase === 'mysql8';
  // Asking for a MySQL 8 container and naming a server in the same breath is a contradiction:
  // quietly testing the named server instead would report MySQL 8 results that are not.
  if (wantsMysql8 && setting(env, 'DATABASE_URL'))
    throw new TestServicesError(
      'TEST_SERVICES_CONFLICT',
      'TEST_DATABASE=mysql8 starts a mysql:8.4 container, but DATABASE_URL is set: unset one of them',
    );

  const given = (key: ServiceKey) => setting(env, key);
  const missing = (['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS'] as const).filter((key) => !given(key));
  const docker = missing.length > 0 && setting(env, 'TEST_USE_DOCKER') !== '0' && dockerAnswers();
  if (wantsMysql8 && !docker)
    throw new TestServicesError(
      'TEST_SERVICES_NO_DOCKER',
      'TEST_DATABASE=mysql8 needs a Docker engine (and TEST_USE_DOCKER not 0) to start mysql:8.4',
    );

  const source = (key: ServiceKey, container: ContainerName): ServiceSource => {
    const value = given(key);
    if (value) return { from: 'env', value };
    return docker ? { from: 'container', container } : { from: 'stack' };
  };
  return {
    services: {
      DATABASE_URL: source('DATABASE_URL', DATABASE_CONTAINERS[testDatabase as keyof typeof DATABASE_CONTAINERS]),
      REDIS_URL: source('REDIS_URL', 'redis'),
      KAFKA_BROKERS: source('KAFKA_BROKERS', 'kafka'),
    },
    mysqlDriver: driver === 'mysql',
  };
};

/** How to run one container and what URL it gives. */
export interface ContainerSpec {
  readonly image: string;
  readonly env: Readonly<Record<string, string>>;
  readonly command?: readonly string[];
  /** The port inside the container. */
  readonly port: number;
  /** A host port bound to the same number (Kafka advertises its address to clients), else any free one. */
  readonly fixedHostPort?: number;
  /** The log line that says the server is ready, and how many times it must appear. */
  readonly ready: { readonly log: RegExp; readonly times: number };
  /** The service's URL from the host and port the container is reached on. */
  readonly url: (host: string, port: number) => string;
}

/**
 * One KRaft node (broker and controller) advertising 127.0.0.1:<hostPort>, with the port inside
 * the container equal to the host's so the advertised address works from the host. The image uses
 * its packaged defaults only when no KAFKA_* variable is given; as soon as one is, it expects all
 * of them, so the whole single-node configuration is here (as in docker-compose.yml).
 */
export const kafkaContainerEnv = (hostPort: number): Record<string, string> => {
  const controller = hostPort + 1;
  return {
    KAFKA_NODE_ID: '1',
    KAFKA_PROCESS_ROLES: 'broker,controller',
    KAFKA_CONTROLLER_QUORUM_VOTERS: `1@127.0.0.1:${controller}`,
    KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${hostPort},CONTROLLER://127.0.0.1:${controller}`,
    KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${hostPort}`,
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
    KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
    KAFKA_LOG_DIRS: '/var/lib/kafka/data',
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
    KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '1',
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true',
  };
};

/** The container for a service; `kafkaHostPort` is a free host port (used by the Kafka container only). */
export const containerSpec = (name: ContainerName, kafkaHostPort: number): ContainerSpec => {
  switch (name) {
    case 'mariadb':
      return {
        image: 'mariadb:10.11',
        env: { MARIADB_ALLOW_EMPTY_ROOT_PASSWORD: '1' },
        port: 3306,
        // The image's entrypoint runs a temporary server for initialisation first: the second line is the real one.
        ready: { log: /ready for connections/, times: 2 },
        url: (host, port) => `mariadb://root@${host}:${port}/agent_relay`,
      };
    case 'mysql8':
      return {
        image: 'mysql:8.4',
        env: { MYSQL_ALLOW_EMPTY_PASSWORD: 'yes', MYSQL_DATABASE: 'agent_relay' },
        port: 3306,
        // The initialisation server reports "port: 0" (networking off) and the X plugin port 33060:
        // only mysqld's own line on 3306 means the real server listens.
        ready: { log: /mysqld: ready for connections.* port: 3306\s/, times: 1 },
        // mysql:// selects @mikro-orm/mysql (mysql2), the driver a MySQL 8 deployment uses.
        url: (host, port) => `mysql://root@${host}:${port}/agent_relay`,
      };
    case 'redis':
      return {
        image: 'redis:7',
        env: {},
        command: ['redis-server', '--save', '', '--appendonly', 'no'],
        port: 6379,
        ready: { log: /Ready to accept connections/, times: 1 },
        url: (host, port) => `redis://${host}:${port}`,
      };
    case 'kafka':
      return {
        image: 'apache/kafka:3.9.1',
        env: kafkaContainerEnv(kafkaHostPort),
        port: kafkaHostPort,
        fixedHostPort: kafkaHostPort,
        ready: { log: /Kafka Server started/, times: 1 },
        url: () => `127.0.0.1:${kafkaHostPort}`,
      };
    default: {
      const unknown: never = name;
      throw new TestServicesError('TEST_SERVICES_UNKNOWN_OPTION', `no container for ${String(unknown)}`);
    }
  }
};

/** What carrying out a plan needs from the outside world (testcontainers, the stack script, the OS). */
export interface TestServicesEffects {
  dockerAnswers(): boolean;
  freePort(): Promise<number>;
  /** Starts a container; resolves to the host and port it is reached on. */
  startContainer(spec: ContainerSpec): Promise<{ host: string; port: number }>;
  /** Runs `scripts/stack.ts up` with this environment and returns the app.env it wrote. */
  stackUp(env: Env): ServiceUrls;
}

/** The scheme names the driver (src/config.ts): mysql:// → @mikro-orm/mysql. */
const throughMysqlDriver = (url: string) => {
  const parsed = new URL(url);
  parsed.protocol = 'mysql:';
  return parsed.toString();
};

/** Carries out the plan: the three URLs the run's test files read from their environment. */
export const resolveTestServices = async (
  env: Env,
  effects: TestServicesEffects,
): Promise<Record<ServiceKey, string>> => {
  const plan = planTestServices(env, () => effects.dockerAnswers());
  const entries = Object.entries(plan.services) as [ServiceKey, ServiceSource][];
  const kafkaHostPort = entries.some(([, s]) => s.from === 'container' && s.container === 'kafka')
    ? await effects.freePort()
    : 0;
  // Only the services given nowhere else come from the stack; the given ones stay in its
  // environment, so it reuses them (and creates the database and topic there).
  const stack = entries.some(([, s]) => s.from === 'stack') ? effects.stackUp(env) : {};
  const urls = {} as Record<ServiceKey, string>;
  for (const [key, source] of entries) {
    if (source.from === 'env') urls[key] = source.value;
    else if (source.from === 'container') {
      const spec = containerSpec(source.container, kafkaHostPort);
      const { host, port } = await effects.startContainer(spec);
      urls[key] = spec.url(host, port);
    } else {
      const value = stack[key];
      if (!value)
        throw new TestServicesError('TEST_SERVICES_STACK_INCOMPLETE', `the stack script handed over no ${key}`);
      urls[key] = value;
    }
  }
  if (plan.mysqlDriver) urls.DATABASE_URL = throughMysqlDriver(urls.DATABASE_URL);
  return urls;
};
