import path from 'node:path';
import { tryLock } from '../../tools/kit/machine-locks';

/**
 * The Redis database index a chaos run FLUSHes, under a machine-wide lock (tools/kit/machine-locks.ts
 * says why runs from two checkouts need them; the broker port's lock is there too).
 */

/** The lock on one Redis database index of one server. */
export const redisLockFile = (dir: string, redisUrl: URL, db: number) =>
  path.join(dir, `agent-relay-chaos-redis-${redisUrl.hostname || '127.0.0.1'}-${redisUrl.port || 6379}-${db}.lock`);

/** The indexes a run picks from when none is named: never 0, which other tools share. */
const CHAOS_REDIS_DBS = [11, 12, 13, 14, 15] as const;

/**
 * The Redis index the run FLUSHes: the one asked for, which must be free, or else the first free
 * one of CHAOS_REDIS_DBS.
 */
export const lockRedisDb = (
  dir: string,
  redisUrl: URL,
  asked: number | undefined,
  isHolder?: (pid: number) => boolean,
) => {
  for (const db of asked === undefined ? CHAOS_REDIS_DBS : [asked]) {
    const lock = tryLock(redisLockFile(dir, redisUrl, db), { isHolder });
    if ('release' in lock) return { db, lock };
    if (asked !== undefined)
      throw new Error(`Redis index ${db} is in use by another chaos run (pid ${lock.heldBy}); pass another --redis-db`);
  }
  throw new Error(`every chaos Redis index (${CHAOS_REDIS_DBS.join(', ')}) is in use by another chaos run`);
};
