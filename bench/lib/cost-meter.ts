import { Redis } from 'ioredis';
import { cpuSeconds } from './child-app';
import { startLoadMonitor, type LoadReport } from './machine';
import type { SqlRunner } from './sql';

/** Who spends the CPU: the bench's own processes by role, the stack's services, the whole machine. */
export const COST_ROLES = ['writer', 'relayConsumer', 'mariadb', 'kafka', 'redis', 'machine', 'other'] as const;
export type CostRole = (typeof COST_ROLES)[number];
export const ROLE_LABELS: Record<CostRole, string> = {
  writer: 'writer',
  relayConsumer: 'relay + consumer',
  mariadb: 'MariaDB',
  kafka: 'Kafka',
  redis: 'Redis',
  machine: 'whole machine',
  other: 'other',
};

/** MariaDB's server-wide counters sampled around a window: all statements, and the kinds that matter here. */
const SERVER_COUNTERS = [
  'Questions',
  'Com_select',
  'Com_insert',
  'Com_update',
  'Com_delete',
  'Com_begin',
  'Com_commit',
  'Com_rollback',
] as const;
type ServerCounter = (typeof SERVER_COUNTERS)[number];

export interface CostWindow {
  seconds: number;
  /** CPU ms per role over the window (null: the role does not run in this scenario). */
  cpuMs: Record<CostRole, number | null>;
  /** Server-wide Δ of MariaDB's counters, the meter's own SHOW STATUS taken out. */
  statements: Record<ServerCounter, number>;
  /** Server-wide Δ of Redis commands, the meter's own INFO taken out, and the five most frequent. */
  redisCommands: number;
  redisTop: { command: string; calls: number }[];
  /** The machine's load over the same window (cores by who used them). */
  load: LoadReport;
}

/** A bench process with a role: 'self' is this process (µs resolution), a pid is read from /proc (10 ms). */
export type RoleProcess = number | 'self';

const processCpuMs = (who: RoleProcess) => {
  if (who === 'self') {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  }
  try {
    return cpuSeconds(who) * 1000;
  } catch {
    return Number.NaN;
  }
};

const serverCounters = async (sql: SqlRunner) => {
  const rows = await sql.query<{ Variable_name: string; Value: string }>(
    `SHOW GLOBAL STATUS WHERE Variable_name IN (${SERVER_COUNTERS.map((c) => `'${c}'`).join(', ')})`,
  );
  return Object.fromEntries(
    SERVER_COUNTERS.map((c) => [c, Number(rows.find((r) => r.Variable_name === c)?.Value ?? Number.NaN)]),
  ) as Record<ServerCounter, number>;
};

/** calls per command from `INFO commandstats` ("cmdstat_evalsha:calls=12,usec=…"). */
export const parseCommandStats = (info: string) => {
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1] as string, Number(match[2]));
  return calls;
};

/**
 * Cost of a window: CPU per role (the writer and relay + consumer processes, MariaDB, the Kafka
 * JVM, Redis, the whole machine from /proc/stat) and the statements and Redis commands the
 * servers executed. The server counters are server-wide: on a shared machine other sessions
 * add to them, so they are an upper bound for what the bench caused.
 */
export const startCostMeter = async (input: {
  sql: SqlRunner;
  redisUrl: string;
  roles: Partial<Record<'writer' | 'relayConsumer', RoleProcess>>;
}) => {
  const redis = new Redis(input.redisUrl, { lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 2 });
  await redis.connect();
  const roleCpu = () =>
    Object.fromEntries(Object.entries(input.roles).map(([role, who]) => [role, processCpuMs(who)])) as Record<
      string,
      number
    >;
  const statements0 = await serverCounters(input.sql);
  const commands0 = parseCommandStats(await redis.info('commandstats'));
  const cpu0 = roleCpu();
  const machine = startLoadMonitor();
  return {
    async stop(): Promise<CostWindow> {
      const load = machine.stop();
      const cpu1 = roleCpu();
      const commands1 = parseCommandStats(await redis.info('commandstats'));
      const statements1 = await serverCounters(input.sql);
      redis.disconnect();
      const role = (name: 'writer' | 'relayConsumer') =>
        input.roles[name] === undefined ? null : (cpu1[name] ?? 0) - (cpu0[name] ?? 0);
      const writer = role('writer');
      const relayConsumer = role('relayConsumer');
      const { machine: machineMs, mariadb, kafka, redis: redisMs } = load.cpuMs;
      const other = Math.max(0, machineMs - (writer ?? 0) - (relayConsumer ?? 0) - mariadb - kafka - redisMs);
      const all = [...commands1.entries()].map(([command, calls]) => ({
        command,
        calls: calls - (commands0.get(command) ?? 0) - (command === 'info' ? 1 : 0),
      }));
      // A counter that went down was reset (CONFIG RESETSTAT, a restart): the window's count is unknown.
      const reset = all.some((c) => c.calls < 0) || [...commands0.keys()].some((command) => !commands1.has(command));
      const deltas = all.filter((c) => c.calls > 0);
      const statements = Object.fromEntries(SERVER_COUNTERS.map((c) => [c, statements1[c] - statements0[c]])) as Record<
        ServerCounter,
        number
      >;
      // The second SHOW GLOBAL STATUS counts itself in Questions.
      statements.Questions -= 1;
      return {
        seconds: load.seconds,
        cpuMs: { writer, relayConsumer, mariadb, kafka, redis: redisMs, machine: machineMs, other },
        statements,
        redisCommands: reset ? Number.NaN : deltas.reduce((sum, c) => sum + c.calls, 0),
        redisTop: deltas.sort((a, b) => b.calls - a.calls).slice(0, 5),
        load,
      };
    },
  };
};

export interface CostRow {
  scenario: string;
  /** e.g. "100 msg/s" or "drain (a)". */
  label: string;
  /** A step of offered load, a drain, or a reference run (e.g. the writer alone) the chart leaves out. */
  kind: 'step' | 'drain' | 'reference';
  /** null for the drain (everything is there at once). */
  offeredPerSec: number | null;
  /** The denominator: messages committed in the window (latency) or drained (drain). */
  messages: number;
  seconds: number;
  /** Messages CONSUMED within the window, per second. */
  consumedPerSec: number;
  /** CPU ms per message by role. */
  msPerMessage: Record<CostRole, number | null>;
  /** Cores busy by role over the window. */
  cores: Record<CostRole, number | null>;
  statementsPerMessage: number;
  /** Com_* counters per message (select, insert, update, delete, commit). */
  comPerMessage: Record<'select' | 'insert' | 'update' | 'delete' | 'commit', number>;
  redisPerMessage: number;
  redisTop: { command: string; perMessage: number }[];
  /** Whether the window kept up with what was offered, and if not which role looked bound. */
  saturation?: string;
}

const per = (value: number | null, by: number) => (value === null || by <= 0 ? null : value / by);

/** CPU, statements and Redis commands of a window divided by the messages it carried. */
export const costRow = (input: {
  scenario: string;
  label: string;
  kind: CostRow['kind'];
  offeredPerSec: number | null;
  messages: number;
  consumed: number;
  window: CostWindow;
  saturation?: string;
}): CostRow => {
  const { window: w, messages } = input;
  const perMessage = (n: number) => (messages > 0 ? n / messages : Number.NaN);
  return {
    scenario: input.scenario,
    label: input.label,
    kind: input.kind,
    offeredPerSec: input.offeredPerSec,
    messages,
    seconds: w.seconds,
    consumedPerSec: input.consumed / w.seconds,
    msPerMessage: Object.fromEntries(COST_ROLES.map((r) => [r, per(w.cpuMs[r], messages)])) as Record<
      CostRole,
      number | null
    >,
    cores: Object.fromEntries(COST_ROLES.map((r) => [r, per(w.cpuMs[r], w.seconds * 1000)])) as Record<
      CostRole,
      number | null
    >,
    statementsPerMessage: perMessage(w.statements.Questions),
    comPerMessage: {
      select: perMessage(w.statements.Com_select),
      insert: perMessage(w.statements.Com_insert),
      update: perMessage(w.statements.Com_update),
      delete: perMessage(w.statements.Com_delete),
      commit: perMessage(w.statements.Com_commit),
    },
    redisPerMessage: perMessage(w.redisCommands),
    redisTop: w.redisTop.map((c) => ({ command: c.command, perMessage: perMessage(c.calls) })),
    ...(input.saturation ? { saturation: input.saturation } : {}),
  };
};

/** An idle window per second instead: share of a core by role, statements/s and Redis commands/s. */
export interface IdleCost {
  scenario: string;
  seconds: number;
  /** Percent of one core by role. */
  corePercent: Record<CostRole, number | null>;
  /** Writer + relay + consumer + MariaDB + Kafka + Redis: the issue's "all roles together". */
  allRolesPercent: number;
  statementsPerSec: number;
  redisPerSec: number;
  redisTop: { command: string; perSec: number }[];
}

export const idleCost = (scenario: string, w: CostWindow): IdleCost => {
  const corePercent = Object.fromEntries(COST_ROLES.map((r) => [r, per(w.cpuMs[r], w.seconds * 10)])) as Record<
    CostRole,
    number | null
  >;
  const roles: CostRole[] = ['writer', 'relayConsumer', 'mariadb', 'kafka', 'redis'];
  return {
    scenario,
    seconds: w.seconds,
    corePercent,
    allRolesPercent: roles.reduce((sum, r) => sum + (corePercent[r] ?? 0), 0),
    statementsPerSec: w.statements.Questions / w.seconds,
    redisPerSec: w.redisCommands / w.seconds,
    redisTop: w.redisTop.map((c) => ({ command: c.command, perSec: c.calls / w.seconds })),
  };
};
