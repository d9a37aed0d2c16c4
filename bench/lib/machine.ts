import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

export const machineInfo = () => ({
  cpuModel: /model name\s*:\s*(.+)/.exec(read('/proc/cpuinfo'))?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown',
  nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
  memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
  kernel: os.release(),
  node: process.version,
});

const TICKS_PER_SECOND = 100;
const INFRA = new Set(['mariadbd', 'mysqld', 'redis-server']);
/** The stack's own broker; another JVM (e.g. a second Kafka someone else started) is "other". */
const isInfra = (pid: number, comm: string) =>
  INFRA.has(comm) || (comm === 'java' && read(`/proc/${pid}/cmdline`).includes('/.stack/kafka/'));

interface ProcSample {
  comm: string;
  ppid: number;
  ticks: number;
  /** CPU of children it has reaped (cutime + cstime). */
  reapedTicks: number;
}

/** utime + stime of every process, from /proc/<pid>/stat. */
const processTicks = () => {
  const sample = new Map<number, ProcSample>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    const fields = stat.slice(close + 2).split(' ');
    sample.set(Number(entry), {
      comm: stat.slice(stat.indexOf('(') + 1, close),
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
      reapedTicks: Number(fields[13]) + Number(fields[14]),
    });
  }
  return sample;
};

/** Busy jiffies of the whole machine (all CPUs), from /proc/stat. */
const machineBusyTicks = () => {
  const fields = (read('/proc/stat').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return user + nice + system + irq + softirq + steal;
};

/** "node jest-worker/…/processChild.js"-style label: the command and its first script-like argument. */
const describeProcess = (pid: number, comm: string) => {
  const args = read(`/proc/${pid}/cmdline`).split('\0').filter(Boolean);
  const script = args.slice(1).find((arg) => /\.(m?[jt]s|cjs|properties)$/.test(arg) && !arg.includes('tsx/dist'));
  return script ? `${comm} ${script.split('/').slice(-3).join('/')}` : comm;
};

const loadAvg1 = () => Number(read('/proc/loadavg').split(' ')[0]);

const isOurs = (pid: number, sample: Map<number, ProcSample>) => {
  for (
    let current: number | undefined = pid, hops = 0;
    current && hops < 20;
    current = sample.get(current)?.ppid, hops += 1
  ) {
    if (current === process.pid) return true;
  }
  return false;
};

export interface LoadReport {
  /** 1-minute load average when the scenario started (mostly what ran before it). */
  loadAvgBefore: number;
  loadAvgMax: number;
  /** Average cores busy over the scenario, split by who used them. */
  cores: { machine: number; bench: number; infra: number; other: number };
  /** The stack's services one by one (MariaDB, the Kafka JVM, Redis). */
  infraCores: { mariadb: number; kafka: number; redis: number };
  /** The same CPU time unrounded, in ms over `seconds` (cost per message needs more than 0.01 cores of resolution). */
  cpuMs: { machine: number; bench: number; mariadb: number; kafka: number; redis: number; other: number };
  seconds: number;
  topOther: { pid: number; name: string; cores: number }[];
  /** True when processes that are neither the bench nor the stack's MariaDB/Kafka/Redis used ≥ 0.25 cores. */
  concurrentLoad: boolean;
}

/**
 * Measures what else ran on the machine during a scenario: machine busy time from /proc/stat,
 * split into this process (and its children), the shared services, and everything else
 * (e.g. other engineers' test runs).
 */
export const startLoadMonitor = () => {
  const started = Date.now();
  const busy0 = machineBusyTicks();
  const procs0 = processTicks();
  const loadAvgBefore = loadAvg1();
  let loadAvgMax = loadAvgBefore;
  const timer = setInterval(() => (loadAvgMax = Math.max(loadAvgMax, loadAvg1())), 2000);
  return {
    stop(): LoadReport {
      clearInterval(timer);
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      const cores = (ticks: number) => Number((ticks / TICKS_PER_SECOND / seconds).toFixed(2));
      const procs1 = processTicks();
      // Children that exited during the window (e.g. an app child process) are in our reaped time.
      const self0 = procs0.get(process.pid);
      const self1 = procs1.get(process.pid);
      let bench = (self1?.reapedTicks ?? 0) - (self0?.reapedTicks ?? 0);
      let infra = 0;
      const infraBy = { mariadb: 0, kafka: 0, redis: 0 };
      const others: { pid: number; name: string; ticks: number }[] = [];
      for (const [pid, now] of procs1) {
        const delta = now.ticks - (procs0.get(pid)?.comm === now.comm ? (procs0.get(pid)?.ticks ?? 0) : 0);
        if (delta <= 0) continue;
        if (isOurs(pid, procs1)) bench += delta;
        else if (isInfra(pid, now.comm)) {
          infra += delta;
          infraBy[now.comm === 'java' ? 'kafka' : now.comm === 'redis-server' ? 'redis' : 'mariadb'] += delta;
        } else others.push({ pid, name: now.comm, ticks: delta });
      }
      const machine = machineBusyTicks() - busy0;
      const other = Math.max(0, machine - bench - infra);
      const topOther = others
        .sort((a, b) => b.ticks - a.ticks)
        .slice(0, 3)
        .map((o) => ({ pid: o.pid, name: describeProcess(o.pid, o.name), cores: cores(o.ticks) }));
      const infraCores = { mariadb: cores(infraBy.mariadb), kafka: cores(infraBy.kafka), redis: cores(infraBy.redis) };
      const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;
      const cpuMs = {
        machine: ms(machine),
        bench: ms(bench),
        mariadb: ms(infraBy.mariadb),
        kafka: ms(infraBy.kafka),
        redis: ms(infraBy.redis),
        other: ms(other),
      };
      return {
        loadAvgBefore,
        loadAvgMax,
        cores: { machine: cores(machine), bench: cores(bench), infra: cores(infra), other: cores(other) },
        infraCores,
        cpuMs,
        seconds,
        topOther,
        concurrentLoad: cores(other) >= 0.25,
      };
    },
  };
};
