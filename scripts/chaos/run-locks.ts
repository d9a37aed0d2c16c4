import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../tools/kit/free-port';
import { portOpen } from '../stack/net';

/**
 * What a chaos run shares with other runs on the machine, and the lock files that keep two runs
 * off the same one. Why: two runs from two checkouts (a clean-clone CI beside a long run) each
 * had their own `.stack-chaos` lock but the same broker port and Redis index. While one run's
 * broker was stopped for its outage fault, the other started a broker of its own on the port,
 * the first run's restart then found a broker answering and used it, and when the second run
 * ended it stopped that broker: the first run's services lost Kafka for minutes, and its verdict
 * blamed the product. Each run now takes a broker port and a Redis index no other run holds.
 */

/** A lock held: release() removes the file (only ours). */
export interface HeldLock {
  readonly file: string;
  release(): void;
}

/** The pid a lock file names (undefined: no file, or no pid in it). */
const readHolder = (file: string): number | undefined => {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
};

/** The pid in a lock file, if it names a live chaos run (a recycled pid is some other program). */
const liveHolder = (file: string, isChaosRun: (pid: number) => boolean): number | undefined => {
  const pid = readHolder(file);
  if (pid === undefined) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  return isChaosRun(pid) ? pid : undefined;
};

/** Linux says what a pid runs; elsewhere a live pid is taken at its word. */
const runsChaos = (pid: number): boolean => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('chaos');
  } catch {
    return !fs.existsSync('/proc');
  }
};

/**
 * Takes the lock file for this process, or names the live run holding it. Created exclusively, so
 * of two runs racing for a free lock one wins; a lock left by a run that is gone is taken over.
 */
export const tryLock = (
  file: string,
  options: { pid?: number; isChaosRun?: (pid: number) => boolean } = {},
): HeldLock | { heldBy: number } => {
  const pid = options.pid ?? process.pid;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      fs.writeFileSync(file, `${pid}\n`, { flag: 'wx' });
      return {
        file,
        release: () => {
          if (readHolder(file) === pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = liveHolder(file, options.isChaosRun ?? runsChaos);
      if (holder !== undefined) return { heldBy: holder };
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take the lock ${file}`);
};

/** Where the machine-wide locks live (one folder every checkout sees). */
export const machineLockDir = () => os.tmpdir();

/** The lock on one Redis database index of one server. */
export const redisLockFile = (dir: string, redisUrl: URL, db: number) =>
  path.join(dir, `agent-relay-chaos-redis-${redisUrl.hostname || '127.0.0.1'}-${redisUrl.port || 6379}-${db}.lock`);

/** The indexes a run picks from when none is named: never 0, which other tools share. */
const CHAOS_REDIS_DBS = [11, 12, 13, 14, 15] as const;

/**
 * The Redis index the run FLUSHes: the one asked for, which must be free, or else the first free
 * one of CHAOS_REDIS_DBS.
 */
export const lockRedisDb = (dir: string, redisUrl: URL, asked: number | undefined, isChaosRun = runsChaos) => {
  for (const db of asked === undefined ? CHAOS_REDIS_DBS : [asked]) {
    const lock = tryLock(redisLockFile(dir, redisUrl, db), { isChaosRun });
    if ('release' in lock) return { db, lock };
    if (asked !== undefined)
      throw new Error(`Redis index ${db} is in use by another chaos run (pid ${lock.heldBy}); pass another --redis-db`);
  }
  throw new Error(`every chaos Redis index (${CHAOS_REDIS_DBS.join(', ')}) is in use by another chaos run`);
};

/**
 * A broker port for this run: free now, its controller port (one above) free too, and locked, so
 * no other run starts a broker on it while this run's broker is stopped for a fault.
 */
export const lockBrokerPort = async (dir: string) => {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = await freePort();
    // The stack refuses to launch a broker whose controller port (one above) answers.
    if (port >= 65535 || (await portOpen('127.0.0.1', port + 1))) continue;
    const lock = tryLock(path.join(dir, `agent-relay-chaos-kafka-${port}.lock`));
    if ('release' in lock) return { port, lock };
  }
  throw new Error('found no free port pair for the chaos broker');
};
