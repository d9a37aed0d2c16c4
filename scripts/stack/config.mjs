/** Configuration — the same variables and defaults as src/config.ts; empty string means unset. */
import { StackError } from './log.mjs';

export function env(name, fallback) {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

function parseUrl(name, fallback) {
  const raw = env(name, fallback);
  try {
    return new URL(raw);
  } catch {
    throw new StackError(`${name} is not a valid URL: ${raw}`);
  }
}

function splitHostPort(entry, name) {
  const match = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/.exec(entry);
  if (!match) throw new StackError(`${name} entries must be host:port, got "${entry}"`);
  return { host: match[1], port: Number(match[2]) };
}

function dbConfig(db) {
  const name = decodeURIComponent(db.pathname.replace(/^\//, '')) || 'agent_relay';
  if (!/^[A-Za-z0-9_$-]{1,64}$/.test(name)) throw new StackError(`DATABASE_URL database name "${name}" is not a plain identifier`);
  return {
    url: db,
    host: db.hostname || '127.0.0.1',
    port: Number(db.port || 3306),
    user: decodeURIComponent(db.username || 'root'),
    password: decodeURIComponent(db.password),
    name,
  };
}

function redisConfig(redis) {
  return { url: redis, host: redis.hostname || '127.0.0.1', port: Number(redis.port || 6379), password: decodeURIComponent(redis.password) };
}

function kafkaConfig() {
  const brokers = env('KAFKA_BROKERS', '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean);
  const first = splitHostPort(brokers[0] ?? '', 'KAFKA_BROKERS');
  const partitions = Number(env('KAFKA_PARTITIONS', '6'));
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new StackError(`KAFKA_PARTITIONS must be a positive integer, got "${process.env.KAFKA_PARTITIONS}"`);
  }
  return {
    brokers,
    host: first.host,
    port: first.port,
    // One port up for the KRaft controller keeps a second stack on another port collision-free.
    controllerPort: first.port + 1,
    topic: env('KAFKA_TOPIC', 'agent-relay.chat-messages'),
    partitions,
  };
}

export function config() {
  // Parse and validate in the original order (DB URL, Redis URL, Kafka, DB name) so the first
  // bad variable is the one reported.
  const db = parseUrl('DATABASE_URL', 'mariadb://root@127.0.0.1:3306/agent_relay');
  const redis = parseUrl('REDIS_URL', 'redis://127.0.0.1:6379');
  const kafka = kafkaConfig();
  return { db: { ...dbConfig(db), explicit: env('DATABASE_URL', undefined) !== undefined }, redis: redisConfig(redis), kafka };
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
export const isLocal = (host) => LOCAL_HOSTS.has(host);

export function redact(url) {
  const copy = new URL(url);
  if (copy.password) copy.password = '***';
  return copy.toString();
}
