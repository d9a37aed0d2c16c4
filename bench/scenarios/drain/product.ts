import type { AppConfig } from '../../../src/config';
import { startCostMeter } from '../../lib/cost-meter';
import { startApp } from '../../lib/app';
import { describeWarnings } from '../../lib/app-log';
import { describeCounts, watchConsumed } from '../../lib/outbox';
import type { ProfileSummary } from '../../lib/profiler';
import { startCpuProfile } from '../../lib/profiler';
import type { Progress } from '../../lib/progress';
import type { Scope } from '../../lib/scope';
import type { SqlRunner } from '../../lib/sql';

const ms = (value: unknown) => (value ? new Date(value as string).getTime() : Number.NaN);

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
  let counts: Record<string, number> = {};
  const profiler = input.profileFile ? await startCpuProfile() : undefined;
  const config = input.profileFile ? { ...input.config, db: { ...input.config.db, debug: true } } : input.config;
  const t0 = Date.now();
  // CPU by role, statements and Redis commands while (a) runs: the relay + consumer are this process.
  const meter = await startCostMeter({
    sql: input.sql,
    redisUrl: input.config.redis.url,
    roles: { relayConsumer: 'self' },
  });
  const cpu0 = process.cpuUsage();
  const { app, log } = await startApp(input.scope, config);
  const startMs = Date.now() - t0;
  const watch = await input.progress.during(
    'drain (a) agent-relay',
    () => describeCounts(counts),
    () =>
      watchConsumed(input.sql, input.rows, {
        timeoutMs: input.timeoutMs,
        intervalMs: 100,
        onCounts: (c) => (counts = c),
      }),
  );
  const totalMs = Date.now() - t0;
  const cpu = process.cpuUsage(cpu0);
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
  const [span] = await input.sql.query<Record<string, unknown>>(
    "SELECT MIN(published_at) AS first_pub, MAX(published_at) AS last_pub, MAX(consumed_at) AS last_consumed FROM outbox_messages WHERE status = 'CONSUMED'",
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
    cores,
    cost,
    profile,
    statements: input.profileFile ? log.statements() : undefined,
    warnings: describeWarnings(log),
  };
};
