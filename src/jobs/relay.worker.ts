import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { PublishingGate } from '../application/publishing-gate';
import { earliest, NO_ROWS, type RelayBatchSummary } from '../application/relay-batch.use-case';
import type { SweepSummary } from '../application/sweep-outbox.use-case';
import type { AppConfig } from '../config';
import type { Scheduler } from '../domain/ports/scheduler';
import { createStatusTracker, type Component } from '../infra/lifecycle';
import type { Logger } from '../infra/logger';
import { measureRelayRound, measureSweep, type RelayMetrics } from '../infra/metrics/relay-metrics';
import type { WorkerConnection } from '../infra/redis/create-redis';
import type { RelayWakeListener } from '../infra/redis/redis-relay-wake';
import { systemScheduler } from '../infra/system-scheduler';
import { pingQueue } from './ping-queue';
import { FOLLOW_UP_DEDUPLICATION_ID, JOB_RETENTION, RELAY_JOBS, RELAY_QUEUE, SCHEDULERS } from './queues';

export interface RelayWorkerDeps {
  connection: WorkerConnection;
  prefix: string;
  relayBatch: () => Promise<RelayBatchSummary>;
  /** A cheap non-locking look before a scheduled scan opens its claim transaction. */
  hasDue: () => Promise<boolean>;
  sweep: () => Promise<SweepSummary>;
  purge: () => Promise<{ deleted: number }>;
  config: AppConfig['relay'];
  logger: Logger;
  /** Counts each claim round (rows, outcomes) around relayBatch(), and each sweep's re-publishes. */
  metrics?: RelayMetrics;
  /** The relay's publishing state: while blocked, scans probe the broker and readiness reports it. */
  gate: Pick<PublishingGate, 'state'>;
  /** Runs the schedulers' refresh (default: the runtime's timers). */
  scheduler?: Scheduler;
  /** Asks for a wake-up at a time (see followUpAt); createRelayWorker supplies it as a delayed job. */
  wakeAt?: (at: Date) => void;
  /** The writers' wake-ups (infra/redis/redis-relay-wake.ts): each one drains, like a `wake` job. */
  wakeups?: RelayWakeListener;
  /** Runs one drain at a time in this process; createRelayWorker supplies it. */
  exclusive?: <T>(drain: () => Promise<T>) => Promise<T>;
  /** True once the worker is stopping: a drain still waiting its turn then claims nothing. */
  closing?: () => boolean;
  /** Asks for one more look soon (drainAfterWake); createRelayWorker keeps one outstanding at a time. */
  recheckSoon?: () => void;
}

/**
 * One at a time: each call runs after the previous one settled. The relay's drains in one
 * process (a writer's wake-up, a scan, a follow-up) take turns, so a drain never finds its rows
 * held back by the leases of a drain beside it in the same process and ends early.
 */
export const createExclusive = () => {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const next = last.then(work, work);
    last = next.catch(() => undefined);
    return next;
  };
};

/** How soon a wake-up that found its rows held back by another process's drain looks again. */
const HELD_BACK_RECHECK_MS = 20;

/** Upper bound on batches per job, so one job never monopolises the worker (the next wake or scan continues). */
const MAX_BATCHES_PER_JOB = 100;
const SWEEP_EVERY_MS = 5_000;
const RETENTION_EVERY_MS = 60_000;

const addSummary = (total: RelayBatchSummary, next: RelayBatchSummary): RelayBatchSummary => ({
  claimed: total.claimed + next.claimed,
  published: total.published + next.published,
  retried: total.retried + next.retried,
  dead: total.dead + next.dead,
  heldBack: total.heldBack + next.heldBack,
  unsent: total.unsent + next.unsent,
  stale: total.stale + next.stale,
  nextRetryAt: earliest([total.nextRetryAt, next.nextRetryAt]),
});

/**
 * Claims batch after batch until a claim comes back empty. Not merely short: beside another
 * loop, a claim is short whenever the other loop's leases hold conversations back.
 */
const drainLoop = async (deps: Pick<RelayWorkerDeps, 'relayBatch'>, batches: { left: number }) => {
  let total = NO_ROWS;
  while (batches.left > 0) {
    batches.left -= 1;
    const summary = await deps.relayBatch();
    total = addSummary(total, summary);
    if (summary.claimed === 0) break;
  }
  return total;
};

/**
 * Drains due rows: one job, many batches, never one job per row. A full first claim means a
 * backlog: then `concurrency` loops run side by side so one batch's claim and acks overlap
 * another's Kafka send instead of leaving the database and the broker idle in turn. Their
 * claims never share a conversation: a leased row holds back its conversation's later rows,
 * so per-conversation order is kept. A short first claim (the common case: a few commits
 * since the last wake) ends the job without extra empty claims.
 */
export const drain = async (deps: Pick<RelayWorkerDeps, 'relayBatch' | 'config' | 'logger'>) => {
  const batches = { left: MAX_BATCHES_PER_JOB - 1 };
  let total = await deps.relayBatch();
  if (total.claimed === deps.config.batchSize) {
    const loops = await Promise.all(Array.from({ length: deps.config.concurrency }, () => drainLoop(deps, batches)));
    total = loops.reduce(addSummary, total);
  }
  // Stale rows are normal under load (the consumer often completes a row before the relay's ack);
  // only failed attempts deserve a warning.
  if (total.retried + total.dead > 0) deps.logger.warn({ relay: total }, 'relay drained with failures');
  else if (total.stale > 0)
    deps.logger.debug({ relay: total }, 'relay drained; some rows were completed before their ack');
  return total;
};

/**
 * When the relay must look again although no commit will wake it: a row it sent into backoff
 * comes due, or, while publishing is blocked, the next probe of the broker. Without this the
 * safety-net scan would have to run often enough to serve both, which is what an idle relay
 * paid for (a BullMQ job and a statement every second).
 */
const followUpAt = (total: RelayBatchSummary, gate: Pick<PublishingGate, 'state'>): Date | null => {
  const state = gate.state();
  return earliest([total.nextRetryAt, state.status === 'blocked' ? state.nextProbeAt : null]);
};

const drainAndFollowUp = (deps: RelayWorkerDeps) =>
  (deps.exclusive ?? ((work) => work()))(async () => {
    if (deps.closing?.()) return NO_ROWS;
    const total = await drain(deps);
    const at = followUpAt(total, deps.gate);
    if (at) deps.wakeAt?.(at);
    return total;
  });

/**
 * A writer's wake-up. Its token goes to whichever relay process is free, possibly while another
 * one's drain still holds an earlier row of the committed row's conversation under lease: the
 * claim then comes back empty although a row is due, and that other drain, whose claim was short,
 * ends without claiming again. One cheap read tells the case apart (an empty claim with due rows),
 * and one follow-up shortly after claims what the lease held back; without it the row would wait
 * for the scan. The read cannot tell a lease from a backoff: a conversation whose first row backs
 * off makes each wake-up that claims nothing ask too, so at most one such follow-up is outstanding
 * per process at a time (createRelayWorker's recheckSoon), and the follow-up itself asks for none.
 */
export const drainAfterWake = async (deps: RelayWorkerDeps) => {
  const total = await drainAndFollowUp(deps);
  if (total.claimed === 0 && !deps.closing?.() && deps.gate.state().status !== 'blocked' && (await deps.hasDue()))
    deps.recheckSoon?.();
  return total;
};

/** One relay job; exported for unit tests (the Worker around it is BullMQ's). */
export const processRelayJob = (deps: RelayWorkerDeps) => async (job: Pick<Job, 'name' | 'data'>) => {
  // Jobs carry no payload; anything else is a producer bug that no retry will fix.
  if (
    job.data !== undefined &&
    job.data !== null &&
    (typeof job.data !== 'object' || Object.keys(job.data as object).length > 0)
  ) {
    throw new UnrecoverableError(`relay job ${job.name} carries unexpected data`);
  }
  switch (job.name) {
    case RELAY_JOBS.scan:
      // The safety net fires every poll interval whether or not anything was written; an idle
      // outbox should cost one indexed read then, not a claim transaction (4 statements).
      return deps.gate.state().status === 'blocked' || (await deps.hasDue()) ? drainAndFollowUp(deps) : NO_ROWS;
    case RELAY_JOBS.wake:
      return drainAndFollowUp(deps);
    case RELAY_JOBS.sweep: {
      const summary = await deps.sweep();
      // Debug only: the broker being down is already reported once by the relay's own state change.
      if (summary.progressUnknown)
        deps.logger.debug(
          'sweeper could not read the log and group offsets; published rows with a log position are kept as they are',
        );
      if (summary.requeued > 0) deps.logger.info({ sweep: summary }, 'sweeper re-published lost rows');
      return summary;
    }
    case RELAY_JOBS.retention:
      return deps.purge();
    default:
      throw new UnrecoverableError(`unknown relay job ${job.name}`);
  }
};

/**
 * The relay's BullMQ side: Job Schedulers for the safety-net scan, the sweeper and retention
 * (upsertJobScheduler, so a restart or a flushed Redis just recreates them), one worker with
 * concurrency 1 per process, and the writers' wake-ups (a Redis token, not a job). The drains of
 * all of them take turns (createExclusive). Row attempts and backoff live in the outbox table;
 * BullMQ's own retries only cover infrastructure hiccups.
 */
export const createRelayWorker = (input: RelayWorkerDeps): Component => {
  const deps: RelayWorkerDeps = input.metrics
    ? {
        ...input,
        relayBatch: measureRelayRound(input.metrics, input.relayBatch),
        sweep: measureSweep(input.metrics, input.sweep),
      }
    : input;
  const status = createStatusTracker('relay-worker', deps.logger);
  let queue: Queue | undefined;
  let worker: Worker | undefined;
  let stopRefreshing: (() => void) | undefined;
  let lastFollowUp = 0;
  let closing = false;
  // When the outstanding held-back follow-up is due (drainAfterWake): none is asked for before it.
  let recheckDueAt = 0;
  // A delayed wake job per distinct time (deduplicated by it, so the many wakes of a blocked
  // relay ask once for its next probe). Best effort: the safety-net scan covers a lost one.
  const wakeAt = (at: Date) => {
    if (at.getTime() === lastFollowUp) return;
    lastFollowUp = at.getTime();
    queue
      ?.add(
        RELAY_JOBS.wake,
        {},
        {
          ...JOB_RETENTION,
          delay: Math.max(0, at.getTime() - Date.now()),
          deduplication: { id: `${FOLLOW_UP_DEDUPLICATION_ID}:${at.getTime()}` },
        },
      )
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'could not schedule the relay follow-up'));
  };
  const upsertSchedulers = async (q: Queue) => {
    const template = (name: string) => ({ name, opts: { ...JOB_RETENTION, attempts: 1 } });
    await q.upsertJobScheduler(SCHEDULERS.scan, { every: deps.config.pollIntervalMs }, template(RELAY_JOBS.scan));
    await q.upsertJobScheduler(SCHEDULERS.sweep, { every: SWEEP_EVERY_MS }, template(RELAY_JOBS.sweep));
    await q.upsertJobScheduler(SCHEDULERS.retention, { every: RETENTION_EVERY_MS }, template(RELAY_JOBS.retention));
  };
  // The drains first: each finishes the batch in hand (its claim stays fenced either way).
  const teardown = async () => {
    closing = true;
    stopRefreshing?.();
    stopRefreshing = undefined;
    await Promise.all([deps.wakeups?.stop(), worker?.close()]);
    await queue?.close();
    worker = undefined;
    queue = undefined;
  };
  const startAll = async () => {
    const q = new Queue(RELAY_QUEUE, { connection: deps.connection, prefix: deps.prefix });
    queue = q;
    q.on('error', (error) => deps.logger.error({ err: error }, 'relay queue error'));
    await upsertSchedulers(q);
    // Schedulers live in Redis: if Redis loses them (FLUSHALL, failover to an empty replica)
    // the safety-net scan would silently stop. Upserting is idempotent, so re-assert them.
    stopRefreshing = (deps.scheduler ?? systemScheduler).every(deps.config.schedulerRefreshMs, () => {
      upsertSchedulers(q).catch((error: unknown) =>
        deps.logger.warn({ err: error }, 'could not refresh relay schedulers'),
      );
    });
    const jobDeps: RelayWorkerDeps = {
      ...deps,
      wakeAt,
      exclusive: createExclusive(),
      closing: () => closing,
      recheckSoon: () => {
        const now = Date.now();
        if (now < recheckDueAt) return;
        recheckDueAt = now + HELD_BACK_RECHECK_MS;
        wakeAt(new Date(recheckDueAt));
      },
    };
    worker = new Worker(RELAY_QUEUE, processRelayJob(jobDeps), {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: 1,
    });
    worker.on('error', (error) => status.set('unhealthy', error.message));
    worker.on('failed', (job, error) => deps.logger.error({ err: error, job: job?.name }, 'relay job failed'));
    await worker.waitUntilReady();
    await deps.wakeups?.start(() => drainAfterWake(jobDeps));
  };
  return {
    name: 'relay-worker',
    async start() {
      status.set('starting');
      closing = false;
      try {
        await startAll();
      } catch (error) {
        // Whatever did start is closed again: nothing keeps polling for a relay that failed to start.
        await teardown().catch(() => undefined);
        throw error;
      }
      status.set('ready');
    },
    async stop() {
      await teardown();
      status.set('stopped');
    },
    ready: async () => (queue && worker?.isRunning() && (deps.wakeups?.listening() ?? true) ? pingQueue(queue) : false),
    degraded() {
      const state = deps.gate.state();
      return state.status === 'blocked'
        ? `publishing blocked since ${state.since.toISOString()}: ${state.reason}`
        : undefined;
    },
  };
};
