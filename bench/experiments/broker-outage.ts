/**
 * A long broker outage with DEFAULT relay settings (issue 12's Done-when line): the relay and
 * consumer roles run in this process against a broker this script may stop, messages are
 * written throughout the outage, and after the broker returns we time how long history takes
 * to hold every message. Prints DEAD rows, attempts spent, readiness while blocked, and the
 * relay's state-change log lines.
 *
 * Needs a broker of its own (it is stopped and started), e.g.:
 *   STACK_STATE_DIR=.stack-relay KAFKA_BROKERS=127.0.0.1:39092 npx tsx scripts/stack.ts up
 *   STACK_STATE_DIR=.stack-relay KAFKA_BROKERS=127.0.0.1:39092 npx tsx bench/experiments/broker-outage.ts [outageSeconds=360] [writeEveryMs=2000]
 * MariaDB/MySQL and Redis come from DATABASE_URL / REDIS_URL, else from the default stack's .stack/app.env
 * (a fresh database and Redis prefix are used and removed).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { createPool } from 'mariadb';
import pino from 'pino';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { migrateUp } from '../../src/tooling';
import { runNames, withDatabaseName } from '../../tools/kit/run-names';
import { toolServices } from '../../tools/kit/tool-services';
import { stackCommand } from '../../tools/kit/stack-cli';

const ROOT = path.resolve(__dirname, '../..');
const [outageSeconds = 360, writeEveryMs = 2_000] = process.argv.slice(2).map(Number);
const CONVERSATIONS = 5;

const stack = (verb: 'kafka:stop' | 'kafka:start') =>
  execFileSync(...stackCommand(verb), { cwd: ROOT, env: process.env, stdio: 'pipe' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => (ms / 1000).toFixed(1);

const main = async () => {
  if (!process.env.STACK_STATE_DIR || !process.env.KAFKA_BROKERS)
    throw new Error('set STACK_STATE_DIR and KAFKA_BROKERS to a broker of your own: this script stops it');
  const names = runNames('bench', 'outage');
  // Its own broker (STACK_STATE_DIR) but the default stack's database and Redis.
  const services = toolServices();
  const dbUrl = new URL(withDatabaseName(services.DATABASE_URL, names.dbName));
  // Only names and roles are set: every RELAY_* and CONSUMER_* setting keeps its default.
  const loaded = loadConfig({
    ...process.env,
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: services.REDIS_URL,
    REDIS_PREFIX: names.prefix,
    KAFKA_TOPIC: names.topic,
    KAFKA_CONSUMER_GROUP: names.group,
    ROLES: 'relay,consumer',
    METRICS_PORT: '0',
  });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const { config } = loaded;
  const logFile = path.join(os.tmpdir(), `broker-outage-${names.id}.log`);
  const logger = pino({ level: 'info' }, pino.destination({ dest: logFile, sync: true }));
  await migrateUp(config.db);
  const pool = createPool({
    host: dbUrl.hostname,
    port: Number(dbUrl.port || 3306),
    user: decodeURIComponent(dbUrl.username || 'root'),
    database: config.db.dbName,
    connectionLimit: 2,
    bigIntAsNumber: true,
  });
  const q = async <T>(sql: string) => (await pool.query(sql)) as T[];
  const app = buildApp(config, { logger });
  await app.start();
  const conversations = Array.from({ length: CONVERSATIONS }, () => randomUUID());
  let written = 0;
  const write = async (i: number) => {
    await app.useCases.appendChatMessages({
      conversationId: conversations[i % CONVERSATIONS]!,
      userId: 'outage',
      messages: [{ role: 'user', content: `message ${i}` }],
    });
    written += 1;
  };
  const outboxStatus = async () =>
    Object.fromEntries(
      (await q<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM outbox_messages GROUP BY status')).map(
        (r) => [r.status, Number(r.n)],
      ),
    );
  const historyComplete = async () => {
    const [row] = await q<{ n: number; gaps: number }>(
      'SELECT COUNT(*) AS n, COALESCE(SUM(seq <> rn), 0) AS gaps FROM (SELECT seq, ROW_NUMBER() OVER (PARTITION BY conversation_id ORDER BY seq) AS rn FROM chat_messages) h',
    );
    return Number(row?.n) === written && Number(row?.gaps) === 0;
  };
  const until = async (check: () => Promise<boolean>, timeoutMs: number) => {
    const start = Date.now();
    while (!(await check())) {
      if (Date.now() - start > timeoutMs) return undefined;
      await sleep(250);
    }
    return Date.now() - start;
  };
  try {
    for (let i = 0; i < CONVERSATIONS; i += 1) await write(i);
    if ((await until(historyComplete, 60_000)) === undefined) throw new Error('warm-up never reached history');
    console.log(
      `warm-up: ${written} messages in history; stopping the broker for ${outageSeconds} s, writing one message every ${writeEveryMs} ms`,
    );
    stack('kafka:stop');
    const stoppedAt = Date.now();
    let nextReport = 60_000;
    let degradedSeen: string | undefined;
    for (let i = CONVERSATIONS; Date.now() - stoppedAt < outageSeconds * 1000; i += 1) {
      await write(i);
      const elapsed = Date.now() - stoppedAt;
      if (elapsed >= nextReport) {
        nextReport += 60_000;
        const [attempts] = await q<{ max: number }>('SELECT COALESCE(MAX(attempts), 0) AS max FROM outbox_messages');
        const readiness = await app.readiness();
        degradedSeen ??= readiness.degraded['relay-worker'];
        console.log(
          `  t+${seconds(elapsed)} s: outbox ${JSON.stringify(await outboxStatus())}, max attempts ${attempts?.max}, readiness relay-worker=${readiness.checks['relay-worker']}`,
        );
      }
      await sleep(writeEveryMs);
    }
    const duringOutage = written - CONVERSATIONS;
    const beforeRestart = await outboxStatus();
    stack('kafka:start');
    const backAt = Date.now();
    console.log(
      `broker back after ${seconds(backAt - stoppedAt)} s; ${duringOutage} messages written during the outage; outbox then ${JSON.stringify(beforeRestart)}`,
    );
    const completeMs = await until(historyComplete, 300_000);
    const [spent] = await q<{ max: number; total: number }>(
      'SELECT COALESCE(MAX(attempts), 0) AS max, COALESCE(SUM(attempts), 0) AS total FROM outbox_messages',
    );
    const lines = fs
      .readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => /relay publishing (blocked|resumed)/.test(l))
      .map((l) => JSON.parse(l) as { msg: string; reason?: string });
    console.log('--- result (default relay and consumer settings) ---');
    console.log(
      `outage: ${seconds(backAt - stoppedAt)} s; messages written during it: ${duringOutage}; total: ${written}`,
    );
    console.log(
      `DEAD rows: ${(await outboxStatus()).DEAD ?? 0}; attempts spent: max ${spent?.max}, total ${spent?.total}`,
    );
    console.log(
      `history complete ${completeMs === undefined ? 'NOT within 300 s' : `${seconds(completeMs)} s`} after the broker was back; outbox ${JSON.stringify(await outboxStatus())}`,
    );
    console.log(`readiness while blocked: relay-worker degraded: ${degradedSeen ?? '(not seen)'}`);
    console.log(`relay state-change log lines: ${lines.length}: ${lines.map((l) => l.msg).join(' | ')}`);
  } finally {
    await app.stop();
    await pool.query(`DROP DATABASE IF EXISTS \`${config.db.dbName}\``).catch(() => undefined);
    await pool.end();
    const admin = new Kafka({
      clientId: 'outage-cleanup',
      brokers: [...config.kafka.brokers],
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin
      .connect()
      .then(() => admin.deleteTopics({ topics: [config.kafka.topic] }))
      .catch(() => undefined);
    await admin.disconnect();
    // The relay's BullMQ queue and schedulers live under this run's own Redis prefix.
    const redis = new Redis(config.redis.url);
    for await (const keys of redis.scanStream({ match: `${config.redis.prefix}:*`, count: 500 }) as AsyncIterable<
      string[]
    >)
      if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    console.log(`log: ${logFile}`);
  }
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
