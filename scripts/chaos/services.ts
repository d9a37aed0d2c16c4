import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { AppRole } from '../../src/config';
import { ROOT } from './env';
import { say, sleep, tailOf } from './log';

const READY_TIMEOUT_MS = 60_000;
/** Components after the ready one may still fail to start: the process must outlive this too. */
const READY_SETTLE_MS = 500;
/** Like a supervisor: a process that exits during start (a dependency is down) is started again. */
const START_DEADLINE_MS = 120_000;
const START_RETRY_MS = 1000;
const STOP_GRACE_MS = 6_000;
const MAX_RESTARTS_AFTER_CRASH = 3;

/** The JSON log line (pino `msg`) that says a role is up; the api role answers GET /readyz instead. */
const READY_LINE: Partial<Record<AppRole, string>> = {
  relay: 'relay-worker ready',
  consumer: 'history-consumer ready',
  ['generator' as AppRole]: 'generate-worker ready',
};

export interface UnexpectedExit {
  readonly service: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly at: number;
  readonly logTail: string;
  /**
   * Exit code 0: the process ran its SIGTERM/SIGINT shutdown, so something outside this run
   * signalled it (on a shared machine, someone's cleanup). Reported, restarted, not a crash.
   */
  readonly graceful: boolean;
}

export interface ServiceOptions {
  readonly name: string;
  readonly role: AppRole;
  readonly env: Record<string, string>;
  readonly logDir: string;
  readonly readyUrl?: string;
  /** A process that was ready exited without us killing it; the service restarts it afterwards. */
  readonly onUnexpectedExit: (exit: UnexpectedExit) => void;
  /** Every line the process writes to stdout (its JSON log), as it comes. */
  readonly onLogLine?: (line: string) => void;
}

const readyz = async (url: string | undefined) => {
  if (!url) return false;
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).status === 200;
  } catch {
    return false;
  }
};

/** The last lines of a log file, or '(no log)' before the first launch wrote one. */
const fileTail = (file: string, lines: number) => {
  try {
    return tailOf(fs.readFileSync(file, 'utf8'), lines);
  } catch {
    return '(no log)';
  }
};

/** Starts src/main.ts with the service's environment; stdout and stderr are appended to its log file. */
const spawnMain = (options: ServiceOptions, logFile: string, launch: number): ChildProcess => {
  const out = fs.openSync(logFile, 'a');
  fs.writeSync(out, `=== ${options.name} launch #${launch} at ${new Date().toISOString()}\n`);
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    // Own process group: a Ctrl-C in the terminal reaches the runner, which stops these itself.
    detached: true,
    stdio: ['ignore', 'pipe', out],
  });
  fs.closeSync(out);
  proc.stdout?.pipe(fs.createWriteStream(logFile, { flags: 'a' }));
  return proc;
};

/**
 * One `node --import tsx src/main.ts` process (node itself, not the tsx wrapper, so the pid we
 * signal is the pid the relay writes into claim_owner). Output goes to <logDir>/<name>.log.
 */
export const createService = (options: ServiceOptions) => {
  const logFile = path.join(options.logDir, `${options.name}.log`);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let expectingExit = false;
  let shuttingDown = false;
  let launches = 0;
  let crashes = 0;
  const dead = (proc: ChildProcess) => proc.exitCode !== null || proc.signalCode !== null;

  const logTail = (lines = 12) => fileTail(logFile, lines);

  /** Resolves when ready; rejects if the process exits first or takes too long (then it is killed). */
  const launch = async () => {
    launches += 1;
    expectingExit = false;
    const proc = spawnMain(options, logFile, launches);
    child = proc;
    const wanted = READY_LINE[options.role];
    let sawLine = false;
    let ready = false;
    const lines = readline.createInterface({ input: proc.stdout! });
    lines.on('line', (line) => {
      if (wanted && line.includes(`"msg":"${wanted}"`)) sawLine = true;
      options.onLogLine?.(line);
    });
    exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        lines.close();
        resolve();
        if (ready && !expectingExit && !shuttingDown) {
          const graceful = code === 0 && /"signal":"SIG(TERM|INT)","msg":"shutting down"/.test(logTail(80));
          crashed({ service: options.name, code, signal, at: Date.now(), logTail: logTail(), graceful });
        }
      });
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (dead(proc))
        throw new Error(
          `${options.name} exited during start (code ${proc.exitCode}, signal ${proc.signalCode}): ${
            logTail()
              .split('\n')
              .filter((l) => !l.startsWith('{'))
              .at(-1) ?? ''
          }`,
        );
      if (wanted ? sawLine : await readyz(options.readyUrl)) {
        await sleep(READY_SETTLE_MS);
        if (dead(proc)) continue;
        ready = true;
        return;
      }
      await sleep(100);
    }
    await signal('SIGKILL', 5000);
    throw new Error(`${options.name} not ready within ${READY_TIMEOUT_MS / 1000}s\n${logTail()}`);
  };

  /** Launches until one attempt gets ready; resolves to the number of attempts it took. */
  const start = async (): Promise<number> => {
    const deadline = Date.now() + START_DEADLINE_MS;
    for (let attempt = 1; ; attempt += 1) {
      if (shuttingDown) return attempt - 1;
      try {
        await launch();
        return attempt;
      } catch (error) {
        if (Date.now() + START_RETRY_MS > deadline || !/exited during start/.test((error as Error).message))
          throw error;
        await sleep(START_RETRY_MS);
      }
    }
  };

  const crashed = (exit: UnexpectedExit) => {
    crashes += 1;
    options.onUnexpectedExit(exit);
    if (crashes > MAX_RESTARTS_AFTER_CRASH)
      return say(`${options.name} crashed ${crashes} times: not restarting it again`);
    // Keep the pipeline whole for the verdict; the crash itself is reported as a failure.
    void sleep(500)
      .then(() => start())
      .catch((error: unknown) => say(`restarting ${options.name} failed: ${(error as Error).message}`));
  };

  const signal = async (sig: NodeJS.Signals, graceMs: number) => {
    const proc = child;
    if (!proc || dead(proc)) return;
    expectingExit = true;
    proc.kill(sig);
    const gone = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!gone) {
      proc.kill('SIGKILL');
      await exited;
    }
  };

  return {
    name: options.name,
    role: options.role,
    logFile,
    pid: () => child?.pid,
    /** True while our current child has not exited (so its pid is still ours to signal). */
    alive: () => Boolean(child && !dead(child)),
    start,
    /** SIGSTOP / SIGCONT: freeze the process where it is (it holds its sockets and locks) or let it go on. */
    freeze: () => child && !dead(child) && child.kill('SIGSTOP'),
    thaw: () => child && !dead(child) && child.kill('SIGCONT'),
    /** SIGKILL: no shutdown hooks, no lease release, in-flight batches abandoned. */
    kill: () => signal('SIGKILL', 10_000),
    /** Graceful stop (SIGTERM, then SIGKILL after a grace period); nothing restarts it afterwards. */
    async stop() {
      shuttingDown = true;
      await signal('SIGTERM', STOP_GRACE_MS);
    },
  };
};

export type Service = ReturnType<typeof createService>;
