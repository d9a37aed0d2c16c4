/** The top-level operations behind the CLI verbs (each picks Docker or the local stack). */
import fs from 'node:fs';
import path from 'node:path';
import { formatAppEnv } from '../../tools/kit/stack-app-env';
import { config, redact, type StackConfig } from './config';
import { chooseDatabaseUrl, serverVersion } from './database-url';
import { compose, dockerUsable } from './docker';
import { startKafkaImpl, stopKafkaImpl } from './kafka';
import { ensureTopic, probeKafka } from './kafka-admin';
import { KAFKA_START_TIMEOUT_MS, kafkaFailure } from './kafka-process';
import { log, print } from './log';
import { ensureDatabase, ensureMariadb, mysqlClient, stopMariadb } from './mariadb';
import { APP_ENV_FILE, KAFKA_DATA, SEPARATE_STACK } from './paths';
import { waitUntil } from './proc';
import { ensureRedis, stopRedis } from './redis';
import { describe, printSummary } from './report';
import { readState, removeState, updateState } from './state';

/** What the app is handed: the servers this stack brought up. */
export type AppEnv = Record<'DATABASE_URL' | 'REDIS_URL' | 'KAFKA_BROKERS', string>;

/** True when docker compose owns the stack per the record `up` left (never for a second stack). */
const dockerMode = () => !SEPARATE_STACK && readState().mode === 'docker';

/**
 * What the app should be given for this stack: DATABASE_URL for the server that answers (its
 * scheme picks the driver), REDIS_URL and KAFKA_BROKERS as configured.
 */
function appEnv(cfg: StackConfig, mode: 'docker' | 'local'): AppEnv {
  const choice = chooseDatabaseUrl({
    mode,
    configured: cfg.db.url,
    explicit: cfg.db.explicit,
    serverVersion: mode === 'local' ? serverVersion(cfg.db) : null,
  });
  if (choice.warning) log(`warning: ${choice.warning}`);
  return { DATABASE_URL: choice.url, REDIS_URL: cfg.redis.url.toString(), KAFKA_BROKERS: cfg.kafka.brokers.join(',') };
}

/**
 * Prints the app's environment as KEY=value lines and writes them to <state dir>/app.env, so
 * `npm run dev` (scripts/dev.ts), the tests, bench and chaos (tools/kit/tool-services.ts) and anyone
 * else (`node --env-file=.stack/app.env`) use the server this stack brought up, with the driver that
 * matches it.
 */
function handOver(env: AppEnv) {
  fs.mkdirSync(path.dirname(APP_ENV_FILE), { recursive: true });
  fs.writeFileSync(APP_ENV_FILE, formatAppEnv(env));
  for (const [k, v] of Object.entries(env)) print(`  ${k}=${k === 'DATABASE_URL' ? redact(v) : v}`);
  return env;
}

/** The mode `up` would pick and the app environment it would hand over; starts nothing. */
export async function planImpl() {
  const cfg = config();
  const mode = !SEPARATE_STACK && dockerUsable() ? 'docker' : 'local';
  const env = appEnv(cfg, mode);
  print(`mode=${mode}`);
  for (const [k, v] of Object.entries(env)) print(`${k}=${k === 'DATABASE_URL' ? redact(v) : v}`);
  return { mode, env };
}

async function upDocker(cfg: StackConfig) {
  log('Docker engine found: docker compose up -d --wait mysql redis kafka');
  compose(['up', '-d', '--wait', 'mysql', 'redis', 'kafka']);
  updateState({ mode: 'docker' });
  if (mysqlClient()) ensureDatabase(cfg.db); // the container creates agent_relay; DATABASE_URL may name another
  await ensureTopic(cfg.kafka);
  const how = 'docker compose';
  printSummary(cfg, { mariadb: how, redis: how, kafka: how }, 'docker');
  return { mode: 'docker', env: handOver(appEnv(cfg, 'docker')) };
}

export async function upImpl() {
  const cfg = config();
  if (!SEPARATE_STACK && dockerUsable()) return upDocker(cfg);

  updateState({ mode: 'local' });
  const mariadb = await ensureMariadb(cfg);
  const redis = await ensureRedis(cfg);
  const kafka = await startKafkaImpl(cfg);
  printSummary(cfg, {
    mariadb: describe(mariadb.startedNow, 'mariadb'),
    redis: describe(redis.startedNow, 'redis'),
    kafka: describe(kafka.startedNow, 'kafka'),
  });
  return { mode: 'local', mariadb, redis, kafka, env: handOver(appEnv(cfg, 'local')) };
}

/** The stack is down: tools reading app.env fall back to their environment and the app's defaults. */
const forgetAppEnv = () => fs.rmSync(APP_ENV_FILE, { force: true });

function downDocker() {
  log('docker compose down -v');
  // -v drops the images' anonymous data volumes: like the local path, every `up` starts clean.
  compose(['down', '-v']);
  removeState();
  forgetAppEnv();
  log('stack is down');
}

export async function downImpl() {
  const cfg = config();
  const state = readState();
  // The mode recorded by `up` decides; with no record, a usable Docker means compose owns the stack.
  if (!SEPARATE_STACK && (state.mode === 'docker' || (state.mode !== 'local' && dockerUsable()))) return downDocker();

  // Local mode: undo exactly what the record says we did, nothing more.
  await stopKafkaImpl(cfg);
  fs.rmSync(KAFKA_DATA, { recursive: true, force: true }); // next `up` formats a fresh, empty broker
  if (state.redis?.startedByStack) await stopRedis(cfg.redis);
  else log('Redis: left running (not started by stack)');
  if (state.mariadb?.startedByStack) await stopMariadb(cfg.db);
  else log('MariaDB: left running (not started by stack)');
  removeState();
  forgetAppEnv();
  log('stack is down');
}

export async function kafkaStartImpl() {
  const cfg = config();
  if (dockerMode()) {
    log('docker compose start kafka');
    compose(['start', 'kafka']);
    if (!(await waitUntil('waiting for Kafka broker', KAFKA_START_TIMEOUT_MS, () => probeKafka(cfg.kafka.brokers)))) {
      throw kafkaFailure(`the docker compose Kafka did not answer within ${KAFKA_START_TIMEOUT_MS / 1000}s`);
    }
    await ensureTopic(cfg.kafka);
    return { startedNow: true, pid: null };
  }
  return startKafkaImpl(cfg);
}

export async function kafkaStopImpl() {
  const cfg = config();
  if (dockerMode()) {
    log('docker compose stop kafka');
    compose(['stop', 'kafka']);
    return { stopped: true };
  }
  return stopKafkaImpl(cfg);
}
