import path from 'node:path';
import { createOutboxWriter } from '../../src/wiring/writer.wiring';
import pino from 'pino';
import type { AppendChatMessages } from '../../src/application/append-chat-messages.use-case';
import { loadConfig, type AppConfig } from '../../src/config';
import { createDatabase, createRedis, createRedisRelayWaker } from '../../src/tooling';
import { serviceEnv, type ChaosEnv } from './env';

/** The service's config for the chaos env, read from that env alone (not the caller's shell). */
export const chaosConfig = (env: ChaosEnv): AppConfig => {
  const loaded = loadConfig(serviceEnv(env, ['api']));
  if (!loaded.ok) throw new Error(`chaos config invalid:\n${loaded.errors.join('\n')}`);
  return loaded.config;
};

/**
 * The outbox writer use case in this process, wired as src/app.ts wires it: the real MikroORM
 * unit of work and the Redis wake-up against the chaos database and Redis index. Its own
 * warnings (failed wake-ups, killed connections) go to <logDir>/writer.log.
 */
export const openWriter = async (
  env: ChaosEnv,
): Promise<{ append: AppendChatMessages; close: () => Promise<void> }> => {
  const config = chaosConfig(env);
  const logger = pino(
    { level: 'warn', base: { service: 'chaos-writer' } },
    pino.destination({ dest: path.join(env.logDir, 'writer.log'), mkdir: true, sync: false }),
  );
  const database = createDatabase(config.db, logger);
  await database.start();
  const waker = createRedisRelayWaker({
    connection: createRedis(config.redis, logger).workerConnection(),
    prefix: config.redis.prefix,
    logger,
  });
  await waker.start();
  const append = createOutboxWriter(config, { database, waker, logger });
  return {
    append,
    async close() {
      await waker.stop().catch(() => undefined);
      await database.stop().catch(() => undefined);
      logger.flush();
    },
  };
};
