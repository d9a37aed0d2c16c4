/**
 * Configuration: the app's own parser (src/config/, loadServicesEnv) reads DATABASE_URL,
 * REDIS_URL and KAFKA_*, so the stack and the app can never disagree on a default or a rule;
 * this file only derives what starting the servers needs (hosts, ports, the controller port).
 */
import { loadServicesEnv } from '../../src/config';
import { StackError } from './log';

export interface DbConfig {
  url: URL;
  host: string;
  port: number;
  user: string;
  password: string;
  name: string;
  /** Whether DATABASE_URL was set (the stack then keeps its scheme). */
  explicit: boolean;
}

export interface RedisConfig {
  url: URL;
  host: string;
  port: number;
  password: string;
}

export interface KafkaConfig {
  brokers: string[];
  host: string;
  port: number;
  controllerPort: number;
  topic: string;
  partitions: number;
}

export interface StackConfig {
  db: DbConfig;
  redis: RedisConfig;
  kafka: KafkaConfig;
}

/** An environment variable, trimmed; empty counts as unset (as in src/config/). */
export function env(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

function dbConfig(db: URL, explicit: boolean): DbConfig {
  const name = decodeURIComponent(db.pathname.replace(/^\//, '')) || 'agent_relay';
  // The name goes into CREATE DATABASE unquoted by the client: a plain identifier only.
  if (!/^[A-Za-z0-9_$-]{1,64}$/.test(name))
    throw new StackError(`DATABASE_URL database name "${name}" is not a plain identifier`);
  return {
    url: db,
    host: db.hostname || '127.0.0.1',
    port: Number(db.port || 3306),
    user: decodeURIComponent(db.username || 'root'),
    password: decodeURIComponent(db.password),
    name,
    explicit,
  };
}

function kafkaConfig(brokers: string[], topic: string, partitions: number): KafkaConfig {
  const [host = '127.0.0.1', port = '9092'] = (brokers[0] ?? '').split(':');
  return {
    brokers,
    host,
    port: Number(port),
    // One port up for the KRaft controller keeps a second stack on another port collision-free.
    controllerPort: Number(port) + 1,
    topic,
    partitions,
  };
}

export function config(): StackConfig {
  const loaded = loadServicesEnv(process.env);
  // The first bad variable is reported, as the app would report it.
  if (!loaded.ok)
    throw new StackError(loaded.errors[0] ?? 'invalid configuration', loaded.errors.slice(1).join('\n') || undefined);
  const { DATABASE_URL, REDIS_URL, KAFKA_BROKERS, KAFKA_TOPIC, KAFKA_PARTITIONS } = loaded.env;
  const redis = new URL(REDIS_URL);
  return {
    db: dbConfig(new URL(DATABASE_URL), env('DATABASE_URL', '') !== ''),
    redis: {
      url: redis,
      host: redis.hostname || '127.0.0.1',
      port: Number(redis.port || 6379),
      password: decodeURIComponent(redis.password),
    },
    kafka: kafkaConfig(KAFKA_BROKERS, KAFKA_TOPIC, KAFKA_PARTITIONS),
  };
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
export const isLocal = (host: string) => LOCAL_HOSTS.has(host);

export function redact(url: URL | string): string {
  const copy = new URL(url);
  if (copy.password) copy.password = '***';
  return copy.toString();
}
