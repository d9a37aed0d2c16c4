import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { portOpen } from '../../scripts/stack/net';
import { freePort } from './free-port';

/**
 * Lock files for what runs from different checkouts share on one machine. Why: two chaos runs
 * (a clean-clone CI beside a long run) once had their own checkout's lock but the same broker
 * port. While one run's broker was stopped for its outage fault, the other started a broker of
 * its own on the port, the first run's restart found a broker answering and used it, and when the
 * second run ended it stopped that broker: the first run's services lost Kafka for minutes. The
 * fault suite (test/faults) stops and restarts a broker of its own too, so chaos runs and fault
 * suites take their broker ports from one pool of locks.
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

/** Removes a lock file if `pid` holds it (a lock another run has taken since stays). */
export const releaseLock = (file: string, pid = process.pid) => {
  if (readHolder(file) === pid) fs.rmSync(file, { force: true });
};

/** The pid in a lock file, if it names a live holder (a recycled pid is some other program). */
const liveHolder = (file: string, isHolder: (pid: number) => boolean): number | undefined => {
  const pid = readHolder(file);
  if (pid === undefined) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  return isHolder(pid) ? pid : undefined;
};

/**
 * Whether a pid runs one of the tools that take these locks (a chaos run or a Jest run of the
 * fault suite). Linux says what a pid runs; elsewhere a live pid is taken at its word.
 */
const runsLockingTool = (pid: number): boolean => {
  try {
    return /chaos|jest/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return !fs.existsSync('/proc');
  }
};

/**
 * Takes the lock file for this process, or names the live holder. Created exclusively, so of two
 * runs racing for a free lock one wins; a lock left by a run that is gone is taken over.
 */
export const tryLock = (
  file: string,
  options: { pid?: number; isHolder?: (pid: number) => boolean } = {},
): HeldLock | { heldBy: number } => {
  const pid = options.pid ?? process.pid;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      fs.writeFileSync(file, `${pid}\n`, { flag: 'wx' });
      return { file, release: () => releaseLock(file, pid) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = liveHolder(file, options.isHolder ?? runsLockingTool);
      if (holder !== undefined) return { heldBy: holder };
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take the lock ${file}`);
};

/** Where the machine-wide locks live (one folder every checkout sees). */
export const machineLockDir = () => os.tmpdir();

/**
 * A broker port for a run: free now, its controller port (one above) free too, and locked, so no
 * other run starts a broker on it while this run's broker is stopped for a fault.
 */
export const lockBrokerPort = async (dir: string) => {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = await freePort();
    // The stack refuses to launch a broker whose controller port (one above) answers.
    if (port >= 65535 || (await portOpen('127.0.0.1', port + 1))) continue;
    const lock = tryLock(path.join(dir, `agent-relay-kafka-${port}.lock`));
    if ('release' in lock) return { port, lock };
  }
  throw new Error('found no free port pair for a broker of its own');
};
