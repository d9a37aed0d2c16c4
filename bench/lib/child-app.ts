import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../tools/kit/free-port';
import { createWarningTally, type LogLine } from './app-log';
import { summarizeProfile, type ProfileSummary, type ProfileWindow } from './profiler';
import type { Env } from './env';
import type { Scope } from './scope';
import { sleep, waitFor } from './stats';

const REPO = path.resolve(__dirname, '../..');

/** Resident set size of a process, from /proc/<pid>/status: current (VmRSS) and peak (VmHWM), in MB. */
export const readRss = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
};

/** CPU seconds a process has used so far (utime + stime, from /proc/<pid>/stat). */
export const cpuSeconds = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

const parse = (line: string): LogLine | undefined => {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return undefined;
  }
};

/**
 * The service as its own process: `node --import tsx src/main.ts` (what `tsx src/main.ts` runs,
 * without tsx's wrapper process, so the pid is the server's) with the given environment. With the
 * api role it is ready once /readyz answers 200; without it, once it logs `readyWhenLogged` (a
 * pino `msg`, e.g. `history-consumer ready` at LOG_LEVEL=info). stop() (also on scope close) sends
 * SIGTERM, then SIGKILL after 15 s. With `profileDir` it runs under --cpu-prof, and after a
 * graceful stop cpuProfile() summarizes the profile the process wrote there.
 */
export const spawnApp = async (
  scope: Scope,
  env: Env,
  log: (line: string) => void,
  options: {
    profileDir?: string;
    /** Another checkout to run the service from (experiments comparing two trees). */
    repo?: string;
    /** A process without the api role: the log message that says it is up. */
    readyWhenLogged?: string;
  } = {},
) => {
  const port = await freePort();
  const childEnv = Object.fromEntries(
    Object.entries({ PATH: process.env['PATH'], HOME: process.env['HOME'], ...env, HTTP_PORT: String(port) }).filter(
      ([, v]) => v !== undefined,
    ),
  ) as NodeJS.ProcessEnv;
  const child = spawn(
    process.execPath,
    [
      ...(options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : []),
      '--import',
      'tsx',
      'src/main.ts',
    ],
    { cwd: options.repo ?? REPO, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const tail: string[] = [];
  let logged = false;
  const tally = createWarningTally((line) => log(`[child ${child.pid}] ${line}`));
  const onOutput = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      const parsed = parse(line);
      if (parsed && options.readyWhenLogged && parsed.msg === options.readyWhenLogged) logged = true;
      if (parsed) tally.add(parsed);
      else log(`[child ${child.pid}] ${line.slice(0, 240)}`);
    }
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    if (!(await Promise.race([exit.then(() => true), sleep(15_000).then(() => false)]))) child.kill('SIGKILL');
  };
  scope.defer(`stop app child ${child.pid}`, stop);
  const base = `http://127.0.0.1:${port}`;
  const ready = await waitFor(
    async () =>
      !exited &&
      (options.readyWhenLogged
        ? logged
        : await fetch(`${base}/readyz`).then(
            (r) => r.ok,
            () => false,
          )),
    90_000,
    200,
  );
  if (!ready) throw new Error(`app child did not become ready${exited ? ' (it exited)' : ''}:\n${tail.join('\n')}`);
  const pid = child.pid as number;
  /** The main thread's profile (node names it CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile), renamed to `<name>.cpuprofile` when named. */
  const cpuProfile = (window?: ProfileWindow, name?: string): ProfileSummary | undefined => {
    const dir = options.profileDir;
    const found =
      dir &&
      readdirSync(dir)
        .sort()
        .find((file) => file.endsWith('.cpuprofile') && file.includes(`.${pid}.0.`));
    if (!dir || !found) return undefined;
    const file = path.join(dir, name ? `${name}.cpuprofile` : found);
    if (name) renameSync(path.join(dir, found), file);
    return summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), file, window);
  };
  return { pid, url: `${base}/graphql`, stop, warnings: tally.list, cpuProfile };
};
