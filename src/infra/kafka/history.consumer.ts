import type { Consumer, EachBatchPayload, IHeaders } from 'kafkajs';
import type { PersistHistoryBatch, RawRecord } from '../../application/persist-history-batch.use-case';
import { retry } from '../../application/retry';
import type { AppConfig } from '../../config';
import { groupBy } from '../../domain/group-by';
import type { Scheduler } from '../../domain/ports/scheduler';
import { backoffDelayMs } from '../../domain/retry-policy';
import { createStatusTracker, type Component } from '../lifecycle';
import type { Logger } from '../logger';
import { recordConsumedBatch, recordLag, type ConsumerMetrics } from '../metrics/consumer-metrics';
import { systemScheduler } from '../system-scheduler';
import { traceHistoryBatch, traceHistoryTransaction } from '../tracing/history-spans';
import { NOOP_APP_TRACER, type AppTracer } from '../tracing/otel-tracer';
import type { KafkaClient } from './create-kafka';
import { describeError } from './kafka-errors';
import { createOffsetCommitter, type CommitOffsets, type OffsetCommitter } from './offset-committer';

export interface HistoryBatchDeps {
  persist: PersistHistoryBatch;
  /** Takes each stored batch's next offset; commits them at most once per interval. */
  offsets: Pick<OffsetCommitter, 'offer' | 'flush'>;
  /** True once our stop() has begun (kafkajs's own stop shows as payload.isRunning() false). */
  stopping?: () => boolean;
  logger: Logger;
  retry: { baseMs: number; capMs: number };
  /** Longest sleep between heartbeats while a batch waits for the database: well under the session timeout. */
  heartbeatEveryMs: number;
  scheduler: Scheduler;
  metrics?: ConsumerMetrics;
}

const headerText = (headers: IHeaders | undefined): Record<string, string | undefined> =>
  Object.fromEntries(
    Object.entries(headers ?? {}).map(([key, value]) => [
      key,
      Array.isArray(value) ? value[0]?.toString() : value?.toString(),
    ]),
  );

const toRecords = (payload: EachBatchPayload): RawRecord[] =>
  payload.batch.messages.map((m) => ({
    value: m.value?.toString('utf8') ?? null,
    headers: headerText(m.headers),
    partition: payload.batch.partition,
    offset: m.offset,
  }));

/** The batch as its spans see it: offsets, and the trace context and event id from each record's headers. */
const tracedBatch = (payload: EachBatchPayload, groupId: string) => ({
  topic: payload.batch.topic,
  partition: payload.batch.partition,
  groupId,
  messages: payload.batch.messages.map((m) => {
    const headers = headerText(m.headers);
    return { offset: m.offset, traceparent: headers['traceparent'], eventId: headers['event-id'] };
  }),
});

/**
 * Commits through the batch's own link to the group. Once stop() has begun, consumer.commitOffsets
 * silently does nothing (kafkajs's runner returns at once when it is not running, as if it had
 * committed), yet the member stays in the group until the batch in hand returns: the last chance
 * to commit what was stored.
 */
const commitThroughBatch =
  (payload: EachBatchPayload): CommitOffsets =>
  (offsets) => {
    const topics = [...groupBy(offsets, (o) => o.topic).entries()].map(([topic, list]) => ({
      topic,
      partitions: list.map(({ partition, offset }) => ({ partition, offset })),
    }));
    return payload.commitOffsetsIfNecessary({ topics });
  };

const isRebalancing = (error: unknown) => {
  const type = (error as { type?: string } | undefined)?.type;
  return (
    type === 'REBALANCE_IN_PROGRESS' ||
    type === 'ILLEGAL_GENERATION' ||
    type === 'UNKNOWN_MEMBER_ID' ||
    type === 'NOT_COORDINATOR_FOR_GROUP'
  );
};

/**
 * Waits out one retry delay while keeping the group membership: kafkajs heartbeats only
 * between batches or when asked, so a batch stuck on a database outage heartbeats itself in
 * slices well under the session timeout. Answers false when the partition should be given up
 * (stopping, stale, or the group is rebalancing and needs this batch to return).
 */
const waitKeepingMembership = async (deps: HistoryBatchDeps, payload: EachBatchPayload, delayMs: number) => {
  for (let left = delayMs; left > 0; left -= deps.heartbeatEveryMs) {
    await deps.scheduler.sleep(Math.min(left, deps.heartbeatEveryMs));
    if (!payload.isRunning() || payload.isStale()) return false;
    try {
      await payload.heartbeat();
    } catch (error) {
      // Any other heartbeat failure (coordinator moving) is kafkajs's to recover; keep waiting.
      if (isRebalancing(error)) return false;
    }
  }
  return true;
};

/**
 * One Kafka batch → one persist (one DB transaction) → offset last + 1 offered to the committer,
 * strictly in that order (the committer sends it within the commit interval, never sooner than
 * the transaction). A database failure is retried with backoff for as long as this consumer owns
 * the partition, heartbeating meanwhile so a database outage never costs the group membership;
 * when it stops or loses the partition it returns without committing, so the batch is
 * delivered again — never skipped or reordered, and applied once thanks to the event-id dedup.
 */
export const handleHistoryBatch = async (
  deps: HistoryBatchDeps,
  payload: EachBatchPayload,
): Promise<'committed' | 'abandoned'> => {
  const { batch } = payload;
  const last = batch.messages[batch.messages.length - 1];
  if (!last) return 'committed';
  const records = toRecords(payload);
  const endTimer = deps.metrics?.batchSeconds.startTimer();
  const abandoned = () => !payload.isRunning() || payload.isStale();
  if (abandoned()) return 'abandoned';
  let summary: Awaited<ReturnType<PersistHistoryBatch>>;
  try {
    summary = await retry(() => deps.persist(records), {
      policy: { ...deps.retry, maxAttempts: Number.POSITIVE_INFINITY },
      scheduler: deps.scheduler,
      onRetry: ({ error, attempt, delayMs }) =>
        deps.logger.warn(
          {
            err: describeError(error),
            partition: batch.partition,
            firstOffset: batch.firstOffset(),
            attempt,
            retryInMs: delayMs,
          },
          'history batch failed; retrying',
        ),
      wait: async (delayMs) => (await waitKeepingMembership(deps, payload, delayMs)) && !abandoned(),
    });
  } catch {
    // Retries end only when the wait gives the partition up (stopping, stale, rebalancing).
    return 'abandoned';
  }
  deps.logger.debug({ partition: batch.partition, records: records.length, ...summary }, 'history batch persisted');
  if (deps.metrics)
    recordConsumedBatch(
      deps.metrics,
      records.map((r) => r.value),
      summary,
    );
  const next = (BigInt(last.offset) + 1n).toString();
  // A failed commit used to throw out of eachBatch: kafkajs fetched the batch again, stored it again
  // (deduplicated) and, past its retries, crashed the consumer. The committer never throws: it keeps
  // the offset for its next commit, so the batch is resolved and the loop goes on while the
  // committed offset only lags (re-delivery after a crash, as before).
  // Stopping, every commit from here goes through the batch (consumer.commitOffsets would only
  // pretend to commit), and what is pending goes out now: the member leaves once this returns.
  const leaving = deps.stopping?.() || !payload.isRunning() ? commitThroughBatch(payload) : undefined;
  await deps.offsets.offer({ topic: batch.topic, partition: batch.partition, offset: next }, leaving);
  payload.resolveOffset(last.offset);
  if (leaving) await deps.offsets.flush(leaving);
  endTimer?.();
  if (deps.metrics) recordLag(deps.metrics, batch.partition, batch.highWatermark, last.offset);
  return 'committed';
};

interface HistoryConsumerDeps {
  kafka: KafkaClient;
  config: { kafka: AppConfig['kafka']; consumer: AppConfig['consumer'] };
  persist: PersistHistoryBatch;
  logger: Logger;
  metrics?: ConsumerMetrics;
  tracer?: AppTracer;
  /** Waits between retries and restarts (default: the runtime's timers). */
  scheduler?: Scheduler;
}

/**
 * The consumer's offset committer, tied to its group events. kafkajs's autoCommit cannot coalesce
 * for eachBatch (its runner commits unconditionally after every batch), so commits are our own.
 */
const attachCommitter = (c: Consumer, deps: HistoryConsumerDeps, scheduler: Scheduler, leavingGroup: () => boolean) => {
  const committer = createOffsetCommitter({
    // Once consumer.stop() began, commitOffsets resolves without committing anything: refused here
    // instead, so a trailing commit firing then keeps its offsets for the batch in hand to send.
    commit: (offsets) =>
      leavingGroup()
        ? Promise.reject(new Error('consumer stopping: offsets go out through the batch in hand'))
        : c.commitOffsets(offsets),
    intervalMs: deps.config.consumer.offsetCommitIntervalMs,
    scheduler,
    logger: deps.logger,
  });
  // REBALANCING fires before this member rejoins, with no batch in hand (kafkajs has stopped its
  // fetchers): commit what is pending now, under the old generation, which the coordinator accepts
  // until the group re-forms, so the next owner starts where we stopped. Whatever fails is dropped,
  // not kept: a later try would go out under the new generation, over the commits of a member that
  // may own the partition by then. (kafkajs's own retry of this commit after a coordinator error
  // reads the group's state afresh and can still land late: at worst the group's offset moves back
  // and records are delivered again, never past what was stored.) Dropped offsets only mean a
  // re-delivery, deduplicated.
  c.on(c.events.REBALANCING, () => void committer.handOver());
  // Other ways back into the group (a forgotten member id, stale metadata) and crashes announce no
  // rebalance: whatever is still pending then was stored under a membership that is gone.
  c.on(c.events.GROUP_JOIN, () => committer.discard());
  c.on(c.events.CRASH, () => committer.discard());
  return committer;
};

/** Runs a connected, subscribed consumer's batch loop: each stored batch's offset goes to the committer. */
const runHistoryBatches = (
  c: Consumer,
  deps: HistoryConsumerDeps,
  timing: {
    heartbeatInterval: number;
    scheduler: Scheduler;
    tracer: AppTracer;
    committer: OffsetCommitter;
    stopping: () => boolean;
  },
) => {
  const { kafka: kafkaConfig, consumer: tuning } = deps.config;
  const { tracer } = timing;
  const batchDeps: HistoryBatchDeps = {
    persist: traceHistoryTransaction(tracer, deps.persist),
    offsets: timing.committer,
    stopping: timing.stopping,
    logger: deps.logger,
    // src/config keeps the cap below the session timeout; the sliced wait heartbeats regardless.
    retry: { baseMs: tuning.retryBaseMs, capMs: tuning.retryCapMs },
    heartbeatEveryMs: timing.heartbeatInterval,
    scheduler: timing.scheduler,
    metrics: deps.metrics,
  };
  return c.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: tuning.partitionsConsumedConcurrently,
    eachBatch: async (payload) => {
      const handle = () => handleHistoryBatch(batchDeps, payload);
      // Off, the headers are not even read for spans.
      await (tracer.enabled ? traceHistoryBatch(tracer, tracedBatch(payload, kafkaConfig.groupId), handle) : handle());
    },
  });
};

/** Backoff between our own restarts of a consumer kafkajs gave up on. */
const RESTART_POLICY = { baseMs: 1_000, capMs: 30_000 };

export const createHistoryConsumer = (deps: HistoryConsumerDeps): Component => {
  const status = createStatusTracker('history-consumer', deps.logger);
  const { kafka: kafkaConfig, consumer: tuning } = deps.config;
  const scheduler = deps.scheduler ?? systemScheduler;
  let consumer: Consumer | undefined;
  let committer: OffsetCommitter | undefined;
  let stopping = false;
  /** Set as consumer.stop() begins: from then on only the batch in hand can commit. */
  let leavingGroup = false;
  /** Set while a restart waits out its backoff; stop() aborts it. */
  let pendingRestart: AbortController | undefined;
  let restarts = 0;
  let problem: string | undefined;
  const unhealthy = (error: unknown) => {
    problem = describeError(error);
    status.set('unhealthy', problem);
  };
  const heartbeatInterval = Math.max(500, Math.floor(tuning.sessionTimeoutMs / 10));
  const tracer = deps.tracer ?? NOOP_APP_TRACER;

  const launch = async () => {
    // A short session lets the group drop a member that vanished with a broker restart or a
    // crash in seconds rather than the default 30 s, which is how long its partitions stall.
    const c = deps.kafka.kafka().consumer({
      groupId: kafkaConfig.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: tuning.maxWaitMs,
      sessionTimeout: tuning.sessionTimeoutMs,
      heartbeatInterval,
    });
    consumer = c;
    const offsets = attachCommitter(c, deps, scheduler, () => leavingGroup);
    committer = offsets;
    c.on(c.events.CRASH, (event) => {
      unhealthy(event.payload.error);
      // kafkajs restarts only after errors it deems retriable; after any other (seen: the group
      // coordinator moving during a broker restart) it stays disconnected for good while the
      // process lives on. Never leave history without a consumer: start a fresh one.
      if (!event.payload.restart) scheduleRestart();
    });
    c.on(c.events.GROUP_JOIN, () => {
      restarts = 0;
      // Partitions may have moved to another member: only report lag for what this one is handed next.
      deps.metrics?.lag.reset();
      status.set('ready');
    });
    await c.connect();
    await c.subscribe({ topic: kafkaConfig.topic, fromBeginning: true });
    await runHistoryBatches(c, deps, {
      heartbeatInterval,
      scheduler,
      tracer,
      committer: offsets,
      stopping: () => stopping,
    });
  };

  const scheduleRestart = () => {
    if (stopping || pendingRestart) return;
    restarts += 1;
    const delay = backoffDelayMs(RESTART_POLICY, restarts);
    deps.logger.warn(
      { attempt: restarts, inMs: delay },
      'history consumer crashed and kafkajs will not restart it; restarting',
    );
    const pending = new AbortController();
    pendingRestart = pending;
    const restart = async () => {
      pendingRestart = undefined;
      await consumer?.disconnect().catch(() => undefined);
      if (!stopping) await launch();
    };
    // Counted across crashes until the group is joined again, so not one retry() run: a consumer
    // that starts and then crashes before it joins waits longer each time all the same.
    void scheduler.sleep(delay, pending.signal).then(
      () =>
        restart().catch((error: unknown) => {
          unhealthy(error);
          scheduleRestart();
        }),
      () => undefined, // stop() aborted it
    );
  };

  return {
    name: 'history-consumer',
    async start() {
      stopping = false;
      leavingGroup = false;
      status.set('starting');
      await launch();
    },
    async stop() {
      stopping = true;
      pendingRestart?.abort();
      pendingRestart = undefined;
      // The last offsets go out before the member leaves the group: what is pending now through the
      // still running consumer; a batch in hand, which stop() lets finish, flushes itself through its
      // own payload (handleHistoryBatch), as consumer.commitOffsets does nothing once stop() began.
      await committer?.flush();
      leavingGroup = true;
      await consumer?.stop();
      committer?.discard();
      await consumer?.disconnect();
      consumer = undefined;
      committer = undefined;
      status.set('stopped');
    },
    // Once it has joined its group, a crash (the broker going away) degrades the process but does
    // not take it out of service: kafkajs or scheduleRestart() brings the consumer back.
    ready: async () => status.get() === 'ready' || status.get() === 'unhealthy',
    degraded: () => (status.get() === 'unhealthy' ? `consumer not running: ${problem ?? 'unknown'}` : undefined),
  };
};
