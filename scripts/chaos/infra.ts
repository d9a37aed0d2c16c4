import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createPool, type Pool } from 'mariadb';
import { stackCommand } from '../../tools/kit/stack-cli';
import { ROOT, stackEnv, type ChaosEnv } from './env';
import { say, tailOf } from './log';
import { tryLock } from '../../tools/kit/machine-locks';

const run = ([command, args]: [string, string[]], env: NodeJS.ProcessEnv, timeoutMs: number) =>
  new Promise<string>((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (error) reject(new Error(`${args.join(' ')} failed: ${error.message}\n${tailOf(output, 40)}`));
        else resolve(output);
      },
    );
  });

/** `scripts/stack.ts <verb>` for the chaos stack (STACK_STATE_DIR=.stack-chaos, the run's own broker port). */
export const chaosStack = (env: ChaosEnv, verb: 'up' | 'down' | 'kafka:stop' | 'kafka:start' | 'status') =>
  run(stackCommand(verb), stackEnv(env), 180_000);

/**
 * Fails unless the broker on the chaos port is the one the chaos stack started (a foreign one
 * can't be stopped, and another run may stop it under this one's services).
 */
export const assertOwnBroker = (env: ChaosEnv) => {
  const statePath = path.join(env.stateDir, 'state.json');
  const pidPath = path.join(env.stateDir, 'kafka', 'kafka.pid');
  const state = fs.existsSync(statePath)
    ? (JSON.parse(fs.readFileSync(statePath, 'utf8')) as { kafka?: { startedByStack?: boolean } })
    : {};
  if (!state.kafka?.startedByStack || !fs.existsSync(pidPath)) {
    throw new Error(
      `the broker on ${env.brokers} was not started by the chaos stack (${statePath}); stop whatever listens there`,
    );
  }
  return Number(fs.readFileSync(pidPath, 'utf8').trim());
};

/** Starts the chaos broker again after a fault stopped it, and fails the fault when what answers is not ours. */
export const restartOwnBroker = async (env: ChaosEnv) => {
  await chaosStack(env, 'kafka:start');
  return assertOwnBroker(env);
};

/**
 * The runner's own SQL connections. They name no default database, so the processlist never
 * shows them under the chaos database and the connection-kill fault leaves them alone.
 */
export const openControl = (env: ChaosEnv) => {
  const pool: Pool = createPool({
    host: env.db.host,
    port: env.db.port,
    user: env.db.user,
    password: env.db.password || undefined,
    connectionLimit: 3,
    timezone: 'Z',
    bigIntAsNumber: true,
    decimalAsNumber: true,
  });
  const t = (table: string) => `\`${env.dbName}\`.\`${table}\``;
  return {
    /** A table of the chaos database, qualified. */
    t,
    query: async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
      (await pool.query(sql, params)) as T[],
    close: () => pool.end(),
  };
};

export type Control = ReturnType<typeof openControl>;

/** A client on the chaos Redis index only; flushdb() refuses any other index. */
export const openRedis = (env: ChaosEnv) => {
  const redis = new Redis(env.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  return {
    async flushdb() {
      if (redis.options.db !== env.redisDb || env.redisDb === 0)
        throw new Error(`refusing to FLUSHDB Redis index ${String(redis.options.db)}`);
      await redis.flushdb();
    },
    close: () =>
      redis.quit().then(
        () => undefined,
        () => redis.disconnect(),
      ),
  };
};

export const dropDatabase = async (control: Control, env: ChaosEnv) => {
  await control.query(`DROP DATABASE IF EXISTS \`${env.dbName}\``);
  say(`dropped database ${env.dbName}`);
};

/** One chaos run per checkout at a time: runs of one checkout share .stack-chaos (its broker's pid file and data). */
export const acquireRunLock = (env: ChaosEnv) => {
  const lock = tryLock(path.join(env.stateDir, 'run.lock'));
  if ('heldBy' in lock)
    throw new Error(`another chaos run (pid ${lock.heldBy}) is in progress in this checkout; wait for it`);
  return lock.release;
};
