/** Redis: reuse a running server, or start a scratch redis-server if it is down. */
import fs from 'node:fs';
import { isLocal, type RedisConfig, type StackConfig } from './config';
import { log, StackError } from './log';
import { portOpen, waitPortClosed } from './net';
import { REDIS_LOG, STATE_DIR } from './paths';
import { run, tail, waitUntil, which } from './proc';
import { recordService } from './state';

const REDIS_START_TIMEOUT_MS = 15_000;

export async function ensureRedis(cfg: StackConfig) {
  const { redis } = cfg;
  let startedNow = false;
  if (await portOpen(redis.host, redis.port)) {
    log(`Redis answers on ${redis.host}:${redis.port}`);
  } else {
    if (!isLocal(redis.host))
      throw new StackError(
        `Redis at ${redis.host}:${redis.port} (REDIS_URL) is not reachable and is not local, so it can't be started here`,
      );
    if (!which('redis-server'))
      throw new StackError(
        `nothing listens on ${redis.host}:${redis.port} and redis-server is not installed — install redis-server or point REDIS_URL at a running server`,
      );
    await startRedis(redis);
    startedNow = true;
  }
  recordService('redis', startedNow);
  return { startedNow };
}

async function startRedis(redis: RedisConfig) {
  log(`starting redis-server on port ${redis.port}…`);
  fs.mkdirSync(STATE_DIR, { recursive: true });
  // No persistence: this is a scratch instance, and BullMQ state is rebuilt by the app.
  const args = [
    '--daemonize',
    'yes',
    '--bind',
    '127.0.0.1',
    '--port',
    String(redis.port),
    '--save',
    '',
    '--appendonly',
    'no',
    '--logfile',
    REDIS_LOG,
  ];
  const started = run('redis-server', args);
  if (!started.ok)
    throw new StackError(`redis-server failed to start: ${(started.error?.message ?? started.output).trim()}`);
  const up = await waitUntil('waiting for Redis', REDIS_START_TIMEOUT_MS, () => portOpen(redis.host, redis.port));
  if (!up)
    throw new StackError(
      `Redis did not open port ${redis.port} within ${REDIS_START_TIMEOUT_MS / 1000}s`,
      tail(REDIS_LOG),
    );
  log('Redis is up');
}

export async function stopRedis(redis: RedisConfig) {
  log('stopping Redis (started by stack)…');
  const env = redis.password ? { ...process.env, REDISCLI_AUTH: redis.password } : process.env;
  run('redis-cli', ['-h', redis.host, '-p', String(redis.port), 'shutdown', 'nosave'], { env, timeout: 15_000 });
  await waitPortClosed('waiting for Redis to stop', 10_000, redis.host, redis.port);
}
