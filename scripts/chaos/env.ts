import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AppRole } from '../../src/config';
import { freePort } from '../../tools/kit/free-port';
import { runNames, withDatabaseName } from '../../tools/kit/run-names';
import { toolServices } from '../../tools/kit/tool-services';
import { lockBrokerPort, machineLockDir, type HeldLock } from '../../tools/kit/machine-locks';
import { lockRedisDb } from './run-locks';

export const ROOT = path.resolve(__dirname, '../..');
const STATE_DIR = '.stack-chaos';
/** The sweeper's threshold and the relay's claim lease in every chaos process (the stall fault outlasts the first). */
export const SWEEP_AFTER_MS = 10_000;
export const RELAY_LEASE_MS = 5_000;

/** Everything this run owns: a database, a Redis index, a broker, a topic and a group of its own. */
export interface ChaosEnv {
  readonly id: string;
  readonly stateDir: string;
  readonly logDir: string;
  readonly dbName: string;
  readonly databaseUrl: string;
  readonly db: { host: string; port: number; user: string; password: string };
  readonly redisUrl: string;
  readonly redisDb: number;
  readonly redisPrefix: string;
  readonly brokers: string;
  readonly topic: string;
  readonly partitions: number;
  readonly group: string;
  readonly jwtSecret: string;
  readonly httpPort: number;
  /** What the service processes and the in-process writer use: the TCP proxies in front of MariaDB and Redis. */
  readonly proxied: { readonly databaseUrl: string; readonly redisUrl: string };
  /**
   * The relay's retry schedule. Quick: 3 attempts from a 100 ms base, so the broker outage outlasts the
   * whole schedule in seconds; long: the service's defaults (none set), as an operator runs it.
   */
  readonly relaySchedule: Readonly<Record<string, string>>;
}

export interface ProxyPorts {
  readonly database: number;
  readonly redis: number;
}

/** Keeps the newest `keep` run log folders (their names start with an ISO timestamp). */
const pruneOldLogs = (dir: string, keep: number) => {
  const runs = fs.readdirSync(dir).sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - keep)))
    fs.rmSync(path.join(dir, old), { recursive: true, force: true });
};

/** The same URL with its host and port replaced by a local proxy's. */
const through = (url: URL, port: number) => {
  const proxied = new URL(url.toString());
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  return proxied.toString();
};

const QUICK_RELAY_SCHEDULE = {
  RELAY_MAX_ATTEMPTS: '3',
  RELAY_BACKOFF_BASE_MS: '100',
  RELAY_BACKOFF_CAP_MS: '2000',
} as const;

/**
 * The run's names and settings. The broker port and the Redis index are ones no other run on the
 * machine holds (tools/kit/machine-locks.ts, run-locks.ts); `hold` gets each lock taken, to release at the end.
 */
export const createChaosEnv = async (options: {
  /** The Redis index asked for (--redis-db), else the first free chaos index. */
  redisDb: number | undefined;
  quick: boolean;
  proxyPorts: ProxyPorts;
  hold: (lock: HeldLock) => void;
}): Promise<ChaosEnv> => {
  const names = runNames('chaos');
  const { id, dbName } = names;
  // This shell's DATABASE_URL / REDIS_URL, else the servers the default stack brought up (its
  // .stack/app.env names the database with the scheme, so the driver, that matches it).
  const services = toolServices();
  const dbUrl = new URL(withDatabaseName(services.DATABASE_URL, dbName));
  const redisUrl = new URL(services.REDIS_URL);
  const redis = lockRedisDb(machineLockDir(), redisUrl, options.redisDb);
  options.hold(redis.lock);
  const redisDb = redis.db;
  redisUrl.pathname = `/${redisDb}`;
  const broker = await lockBrokerPort(machineLockDir());
  options.hold(broker.lock);
  const stateDir = path.join(ROOT, STATE_DIR);
  const logDir = path.join(stateDir, 'logs', `${new Date().toISOString().replace(/[:.]/g, '-')}-${id}`);
  fs.mkdirSync(logDir, { recursive: true });
  pruneOldLogs(path.dirname(logDir), 10);
  // Logs stay for a post-mortem; git never needs to see them.
  fs.writeFileSync(path.join(stateDir, '.gitignore'), '*\n');
  return {
    id,
    stateDir,
    logDir,
    dbName,
    databaseUrl: dbUrl.toString(),
    db: {
      host: dbUrl.hostname || '127.0.0.1',
      port: Number(dbUrl.port || 3306),
      user: decodeURIComponent(dbUrl.username || 'root'),
      password: decodeURIComponent(dbUrl.password),
    },
    redisUrl: redisUrl.toString(),
    redisDb,
    redisPrefix: names.prefix,
    brokers: `127.0.0.1:${broker.port}`,
    topic: names.topic,
    partitions: 6,
    group: names.group,
    jwtSecret: `chaos-${id}-${randomBytes(24).toString('hex')}`,
    httpPort: await freePort(),
    proxied: {
      databaseUrl: through(dbUrl, options.proxyPorts.database),
      redisUrl: through(redisUrl, options.proxyPorts.redis),
    },
    relaySchedule: options.quick ? QUICK_RELAY_SCHEDULE : {},
  };
};

/** What the stack script needs to drive the chaos broker (and nothing of the default stack). */
export const stackEnv = (env: ChaosEnv): NodeJS.ProcessEnv => ({
  ...process.env,
  STACK_STATE_DIR: STATE_DIR,
  KAFKA_BROKERS: env.brokers,
  KAFKA_TOPIC: env.topic,
  KAFKA_PARTITIONS: String(env.partitions),
  DATABASE_URL: env.databaseUrl,
  REDIS_URL: env.redisUrl,
});

/**
 * The service's environment for one role, through the proxies; relay tuned so faults resolve in
 * seconds, except its retry schedule (see `relaySchedule`): unset keys take the service's defaults.
 */
export const serviceEnv = (env: ChaosEnv, roles: readonly AppRole[]): Record<string, string> => ({
  NODE_ENV: 'production',
  // The components' "<name> ready" lines are info; info is otherwise only lifecycle lines.
  LOG_LEVEL: 'info',
  ROLES: roles.join(','),
  HTTP_HOST: '127.0.0.1',
  HTTP_PORT: String(env.httpPort),
  // Processes without the api role serve metrics on a port of their own: any free one.
  METRICS_PORT: '0',
  SHUTDOWN_TIMEOUT_MS: '5000',
  DATABASE_URL: env.proxied.databaseUrl,
  REDIS_URL: env.proxied.redisUrl,
  REDIS_PREFIX: env.redisPrefix,
  KAFKA_BROKERS: env.brokers,
  KAFKA_CLIENT_ID: `chaos-${roles.join('-')}`,
  KAFKA_TOPIC: env.topic,
  KAFKA_PARTITIONS: String(env.partitions),
  KAFKA_CONSUMER_GROUP: env.group,
  // Empty means unset: replies come from the built-in local model, whatever the caller's shell says.
  OPENAI_BASE_URL: '',
  OPENAI_API_KEY: '',
  JWT_SECRET: env.jwtSecret,
  RATE_LIMIT_SEND_PER_MINUTE: '1000000',
  RELAY_POLL_INTERVAL_MS: '200',
  ...env.relaySchedule,
  RELAY_LEASE_MS: String(RELAY_LEASE_MS),
  RELAY_SWEEP_AFTER_MS: String(SWEEP_AFTER_MS),
  RELAY_SCHEDULER_REFRESH_MS: '1000',
  OUTBOX_RETENTION_MS: String(7 * 24 * 3600 * 1000),
  CONSUMER_SESSION_TIMEOUT_MS: '6000',
});
