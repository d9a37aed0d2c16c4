import type { Counter } from 'prom-client';
import type { App } from '../../../src/app';
import type { AppConfig } from '../../../src/config';
import { stampSql } from '../../../src/tooling';
import { startCostMeter } from '../../lib/cost-meter';
import { startApp } from '../../lib/app';
import { describeWarnings } from '../../lib/app-log';
import { watchConsumed } from '../../lib/outbox';
import { sleep } from '../../lib/stats';
import type { ProfileSummary } from '../../lib/profiler';
import { startCpuProfile } from '../../lib/profiler';
import type { Progress } from '../../lib/progress';
import type { Scope } from '../../lib/scope';
import { rowLockStatus, type SqlRunner } from '../../lib/sql';

const ms = (value: unknown) => (value ? new Date(value as string).getTime() : Number.NaN);

/** A counter's value for one label set (prom-client answers with every label set it has seen). */
const counterValue = async (counter: Counter<string>, labels: Record<string, string> = {}) =>
  (await counter.get()).values
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((sum, v) => sum + v.value, 0);

/**
 * Waits, without asking the database, until the app's consumer says it stored `rows` history rows
 * (its counter moves after each batch's commit), as the prototype's consumer signals its end. The
 * database is the drain's bottleneck: a `GROUP BY status` count every 100 ms cost it a few per cent
 * of a core (bench/README.md, sixth round). Progress lines read the counters too.
 */
const untilConsumedInProcess = async (
  app: App,
  rows: number,
  timeoutMs: number,
  onProgress: (published: number, consumed: number) => void,
) => {
  const started = performance.now();
  for (;;) {
    const consumed = await counterValue(app.metrics.consumer.records, { outcome: 'inserted' });
    onProgress(await counterValue(app.metrics.relay.published), consumed);
    if (consumed >= rows) return true;
    if (performance.now() - started >= timeoutMs) return false;
    await sleep(10);
  }
};

/**
 * (a) agent-relay itself: buildApp with ROLES=relay,consumer on the seeded database, timed from
 * start() until every row is CONSUMED (so start-up and the consumer's group join count).
 * With a profile file it also samples the CPU and logs every statement (DATABASE_DEBUG) to sum
 * database time per kind of statement; both slow it down, so profiled runs are for diagnosis.
 */
export const drainWithProduct = async (input: {
  scope: Scope;
  config: AppConfig;
  sql: SqlRunner;
  rows: number;
  timeoutMs: number;
  progress: Progress;
  profileFile?: string;
}) => {
  const profiler = input.profileFile ? await startCpuProfile() : undefined;
  const config = input.profileFile ? { ...input.config, db: { ...input.config.db, debug: true } } : input.config;
  const t0 = Date.now();
  // CPU by role, statements and Redis commands while (a) runs: the relay + consumer are this process.
  const meter = await startCostMeter({
    sql: input.sql,
    redisUrl: input.config.redis.url,
    roles: { relayConsumer: 'self' },
  });
  const locksBefore = await rowLockStatus(input.sql);
  const cpu0 = process.cpuUsage();
  const { app, log } = await startApp(input.scope, config);
  const startMs = Date.now() - t0;
  let progress = 'starting';
  const signalled = await input.progress.during(
    'drain (a) agent-relay',
    () => progress,
    () =>
      untilConsumedInProcess(app, input.rows, input.timeoutMs, (published, consumed) => {
        progress = `published ${published}, consumed ${consumed} (the app's counters)`;
      }),
  );
  const totalMs = Date.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const locksAfter = await rowLockStatus(input.sql);
  // Who used the two cores while (a) ran: the relay + consumer in this process, the stack's services.
  const cost = await meter.stop();
  const load = cost.load;
  const cores = {
    ...load.cores,
    ...load.infraCores,
    relayConsumer: Number(((cpu.user + cpu.system) / 1000 / totalMs).toFixed(2)),
  };
  let profile: ProfileSummary | undefined;
  if (profiler && input.profileFile) profile = await profiler.stop(input.profileFile);
  await app.stop();
  // The counters are the app's word; the rows are the truth the result reports.
  const watch = await watchConsumed(input.sql, input.rows, { timeoutMs: signalled ? 5_000 : 0 });
  const [span] = await input.sql.query<Record<string, unknown>>(
    // A row the consumer completed before its relay's mark was never stamped PUBLISHED (NO_TIME).
    `SELECT MIN(${stampSql('published_at')}) AS first_pub, MAX(published_at) AS last_pub, MAX(consumed_at) AS last_consumed FROM outbox_messages WHERE status = 'CONSUMED'`,
  );
  const consumed = watch.counts['CONSUMED'] ?? 0;
  return {
    done: watch.done,
    consumed,
    startMs,
    totalMs,
    msgPerSec: consumed / (totalMs / 1000),
    /** From the rows: first publish → last publish, and first publish → last consume. */
    relaySpanMs: ms(span?.['last_pub']) - ms(span?.['first_pub']),
    pipelineSpanMs: ms(span?.['last_consumed']) - ms(span?.['first_pub']),
    firstPublishAfterStartMs: ms(span?.['first_pub']) - t0,
    counts: watch.counts,
    /** InnoDB row-lock waits while (a) ran (server-wide), and the time spent in them. */
    rowLockWaits: {
      waits: locksAfter.waits - locksBefore.waits,
      ms: locksAfter.waitMs - locksBefore.waitMs,
      deadlocks: locksAfter.deadlocks - locksBefore.deadlocks,
    },
    cores,
    cost,
    profile,
    statements: input.profileFile ? log.statements() : undefined,
    warnings: describeWarnings(log),
  };
};
