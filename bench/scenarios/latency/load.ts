import { randomUUID } from 'node:crypto';
import type { AppendChatMessages } from '../../../src/application/append-chat-messages.use-case';
import { openLoop, type OpenLoopResult } from '../../lib/open-loop';
import { benchMessage } from '../../lib/outbox';
import type { Progress } from '../../lib/progress';
import { outboxCounts, rowLockStatus, type SqlRunner } from '../../lib/sql';
import { machineInfo, type LoadReport } from '../../lib/machine';
import { startCostMeter, type CostWindow, type RoleProcess } from '../../lib/cost-meter';
import { startEventLoopMonitor } from '../../lib/stats';

export const CONVERSATIONS = 200;

export interface OfferedLoad {
  rate: number;
  load: OpenLoopResult;
  /** Rows created in [from, until) belong to the measured window. */
  window: { from: Date; until: Date };
  /** Event id → epoch ms when its append call returned (after commit and wake-up). */
  returnedAt: Map<string, number>;
  /** Event-loop utilization of this process during the measured window. */
  eventLoop: number;
  /** Cores busy during the measured window: the whole machine, this process (the writer), its children (the app), the stack's services. */
  cores: LoadReport['cores'] & LoadReport['infraCores'] & { writer: number };
  /** Server-wide InnoDB row-lock waits during the measured window (other sessions included). */
  rowLocks: { waits: number; waitMs: number; deadlocks: number };
  /** CPU by role, statements and Redis commands over the measured window. */
  cost: CostWindow;
  /** Rows CONSUMED during the window, and rows not yet CONSUMED at its start and end. */
  consumed: number;
  backlog: { before: number; after: number };
}

/** Where the bench's roles run, for the cost meter. */
export interface CostTargets {
  redisUrl: string;
  roles: Partial<Record<'writer' | 'relayConsumer', RoleProcess>>;
}

const pipelineCounts = async (sql: SqlRunner) => {
  const counts = await outboxCounts(sql);
  const consumed = counts['CONSUMED'] ?? 0;
  return { consumed, backlog: Object.values(counts).reduce((sum, n) => sum + n, 0) - consumed };
};

/**
 * Open-loop appends through the writer use case, one message per call over 200 conversations:
 * an uncounted warm-up, then the measured window.
 */
export const offerAppends = async (input: {
  append: AppendChatMessages;
  rate: number;
  durationMs: number;
  warmupMs: number;
  sql: SqlRunner;
  progress: Progress;
  label: string;
  cost: CostTargets;
}): Promise<OfferedLoad> => {
  const conversations = Array.from({ length: CONVERSATIONS }, (_, i) => ({
    conversationId: randomUUID(),
    userId: `bench-user-${i}`,
  }));
  const returnedAt = new Map<string, number>();
  const fire = async (i: number) => {
    const result = await input.append({
      ...(conversations[i % CONVERSATIONS] as (typeof conversations)[number]),
      messages: [benchMessage(i)],
    });
    const now = Date.now();
    for (const message of result.messages) returnedAt.set(message.eventId, now);
  };
  await openLoop({ rate: input.rate, durationMs: input.warmupMs, fire });
  const from = new Date();
  const locksBefore = await rowLockStatus(input.sql);
  const pipelineBefore = await pipelineCounts(input.sql);
  const eventLoop = startEventLoopMonitor();
  const meter = await startCostMeter({ sql: input.sql, ...input.cost });
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  let tick = { offered: 0, completed: 0, inFlight: 0 };
  const load = await input.progress.during(
    input.label,
    () => `${tick.offered} offered, ${tick.completed} committed, ${tick.inFlight} in flight`,
    () =>
      openLoop({
        rate: input.rate,
        durationMs: input.durationMs,
        fire: (i) => fire(i + 1_000_000),
        onTick: (t) => (tick = t),
      }),
  );
  const until = new Date();
  const utilization = eventLoop.stop();
  const cpu = process.cpuUsage(cpu0);
  const cost = await meter.stop();
  const report = cost.load;
  const pipelineAfter = await pipelineCounts(input.sql);
  const cores = {
    ...report.cores,
    ...report.infraCores,
    writer: Number(((cpu.user + cpu.system) / 1000 / (performance.now() - started)).toFixed(2)),
  };
  const locksAfter = await rowLockStatus(input.sql);
  return {
    rate: input.rate,
    load,
    window: { from, until },
    returnedAt,
    eventLoop: utilization,
    cores,
    rowLocks: {
      waits: locksAfter.waits - locksBefore.waits,
      waitMs: locksAfter.waitMs - locksBefore.waitMs,
      deadlocks: locksAfter.deadlocks - locksBefore.deadlocks,
    },
    cost,
    consumed: pipelineAfter.consumed - pipelineBefore.consumed,
    backlog: { before: pipelineBefore.backlog, after: pipelineAfter.backlog },
  };
};

/** One line on how a load went, for the report. */
export const describeLoad = (l: OfferedLoad) =>
  `p50 ${l.load.callMs.p50.toFixed(1)} ms / p99 ${l.load.callMs.p99.toFixed(1)} ms per append, ${l.load.completed} of ${l.load.offered} committed (${l.load.achievedPerSec.toFixed(0)}/s), ${l.load.failed} failed, ${l.load.shed} shed; event loop ${Math.round(l.eventLoop * 100)} % busy; cores busy: machine ${l.cores.machine} of ${machineInfo().nproc} = writer ${l.cores.writer} + app child ${Math.max(0, l.cores.bench - l.cores.writer).toFixed(2)} + MariaDB ${l.cores.mariadb} + Kafka ${l.cores.kafka} + Redis ${l.cores.redis} + other ${l.cores.other}; InnoDB row-lock waits ${l.rowLocks.waits} (${l.rowLocks.waitMs} ms), deadlocks ${l.rowLocks.deadlocks}`;
