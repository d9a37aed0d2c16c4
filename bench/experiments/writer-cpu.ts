/**
 * The outbox writer's CPU per append in this process (MikroORM, driver, use case), sequential
 * appends against the real database, nothing else running in the process. Each round is a send
 * (a user message with its AWAITING turn) and its reply (an assistant message completing that
 * turn) on one conversation, the two appends the chat path makes per exchange.
 *
 *   npx tsx bench/experiments/writer-cpu.ts [--src DIR] [--rounds N] [--label NAME]
 *
 * --src points at another checkout's src/ (e.g. `git archive <commit> src | tar -x -C /tmp/before`
 * plus a node_modules symlink), so two versions of the writer run against the same schema on the
 * same machine; alternate them, since the machine's other load drifts.
 * DATABASE_URL picks the server and driver (else the stack's .stack/app.env, else the app's
 * default mariadb://root@127.0.0.1:3306); the run creates and drops a database of its own.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MikroORM } from '@mikro-orm/core';
import { loadConfig } from '../../src/config';
import { migrateUp, ormOptions } from '../../src/tooling';
import { runNames, withDatabaseName } from '../../tools/kit/run-names';
import { toolServices } from '../../tools/kit/tool-services';

const { values } = parseArgs({
  options: { src: { type: 'string' }, rounds: { type: 'string' }, label: { type: 'string' } },
});
const src = path.resolve(values.src ?? path.join(__dirname, '../../src'));
const rounds = Number(values.rounds ?? 1500);
const WARMUP_ROUNDS = 300;

const main = async () => {
  const { dbName } = runNames('bench', 'writer_cpu');
  const services = toolServices();
  const loaded = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_DEBUG: process.env['DATABASE_DEBUG'],
    JWT_SECRET: 'writer-cpu-0123456789abcdef0123456789',
    DATABASE_URL: withDatabaseName(services.DATABASE_URL, dbName),
    REDIS_URL: services.REDIS_URL,
    KAFKA_BROKERS: services.KAFKA_BROKERS,
  });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const config = loaded.config;
  await migrateUp(config.db);
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createDatabase } = require(path.join(src, 'infra/db/create-database')) as Pick<
    typeof import('../../src/tooling'),
    'createDatabase'
  >;
  const { createLogger } = require(path.join(src, 'infra/logger')) as Pick<
    typeof import('../../src/tooling'),
    'createLogger'
  >;
  const { createOutboxWriter } = require(
    path.join(src, 'wiring/writer.wiring'),
  ) as typeof import('../../src/wiring/writer.wiring');
  const logger = createLogger({ level: process.env['DATABASE_DEBUG'] ? 'debug' : 'warn' });
  const database = createDatabase(config.db, logger);
  await database.start();
  const append = createOutboxWriter(config, { database, waker: { wake: async () => undefined }, logger });
  const content = 'The quick brown fox jumps over the lazy dog while the relay keeps every message in order. '.repeat(
    3,
  );
  const exchange = async (conversationId: string) => {
    const replyId = randomUUID();
    await append({
      conversationId,
      userId: 'u1',
      messages: [{ role: 'user', content }],
      turn: { replyId, clientMessageId: randomUUID(), contentSha256: 'a'.repeat(64), model: 'WORKER', thinking: false },
    });
    await append({
      conversationId,
      userId: 'u1',
      messages: [{ role: 'assistant', content, model: 'bench-model', promptTokens: 120, completionTokens: 48 }],
      completesTurn: replyId,
    });
  };
  try {
    // Ten conversations, round robin: realistic row locks without one hot row.
    const conversations = Array.from({ length: 10 }, () => randomUUID());
    for (let i = 0; i < WARMUP_ROUNDS; i += 1) await exchange(conversations[i % 10] as string);
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < rounds; i += 1) await exchange(conversations[i % 10] as string);
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - started;
    const appends = rounds * 2;
    const perAppendUs = (cpu.user + cpu.system) / appends;
    console.log(
      JSON.stringify({
        label: values.label ?? src,
        driver: config.db.driver,
        appends,
        cpuUsPerAppend: Number(perAppendUs.toFixed(1)),
        wallMsPerAppend: Number((wallMs / appends).toFixed(3)),
      }),
    );
  } finally {
    await database.stop();
    const orm = await MikroORM.init({ ...ormOptions(config.db), ensureDatabase: false, logger: () => undefined });
    await orm.em.getConnection().execute(`drop database if exists \`${dbName}\``);
    await orm.close(true);
  }
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
