import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { z } from 'zod';
import { MODEL_CHOICES } from '../domain/chat/chat-types';
import type { GenerateReply, ReplyOutcome } from '../application/generate-reply.use-case';
import { INTERRUPTED_REPLY, REPLY_CANCELLED, REPLY_LOST } from '../application/reply-ends';
import type { AppConfig } from '../config';
import type { Component } from '../infra/lifecycle';
import type { Logger } from '../domain/ports/logger';
import type { Scheduler } from '../domain/ports/scheduler';
import type { ChatMetrics } from '../infra/metrics/chat-metrics';
import type { WorkerConnection } from '../infra/redis/create-redis';
import type { RedisReplyCancellations } from '../infra/redis/redis-reply-cancellations';
import { systemScheduler } from '../infra/system-scheduler';
import type { GenerateJobData } from './generate-queue';
import { GENERATE_QUEUE } from './queues';

export interface GenerateWorkerDeps {
  connection: WorkerConnection;
  prefix: string;
  config: AppConfig['generate'];
  replies: Pick<GenerateReply, 'generate' | 'giveUp'>;
  /** Re-enqueues replies still awaiting their message (one sweep); runs every recoverIntervalMs. */
  recover?: () => Promise<number>;
  /** Running replies get this long to finish on stop; then they are cut (stored as partial). */
  drainMs: number;
  metrics?: Pick<ChatMetrics, 'repliesRecovered' | 'repliesGivenUp' | 'repliesCancelled'>;
  /** Stop requests from any process (cancelReply): the reply's run here, if any, is aborted. */
  cancellations?: Pick<RedisReplyCancellations, 'onRequested'>;
  logger: Logger;
  /** Runs the recovery sweeps and the drain deadline (default: the runtime's timers). */
  scheduler?: Scheduler;
}

/** Abort reason of a graceful stop's deadline: the reply is cut and stored as partial. */
const SHUTTING_DOWN = 'shutting-down';

/** The send's copy of the turn's prompt key; a job without it (recovery, an older producer) is run without. */
const turnCopy = z.object({
  replyId: z.string(),
  userId: z.string(),
  conversationId: z.string(),
  userSeq: z.number().int().positive(),
  model: z.enum(MODEL_CHOICES),
});

const dataOf = (job: Pick<Job, 'data' | 'id'>): GenerateJobData => {
  const data = job.data as Partial<Record<keyof GenerateJobData, unknown>> | undefined;
  const replyId = data?.replyId;
  // Anything else is a producer bug that no retry will fix.
  if (typeof replyId !== 'string' || replyId !== job.id)
    throw new UnrecoverableError(`generate job ${String(job.id)} carries no matching replyId`);
  // Only a hint (the stored turn is read anyway): one that does not parse is dropped, not fatal.
  const turn = turnCopy.safeParse(data?.turn);
  return turn.success && turn.data.replyId === replyId ? { replyId, turn: turn.data } : { replyId };
};

/**
 * One generate job; exported for unit tests (the Worker around it is BullMQ's). The third
 * parameter matters: BullMQ passes an abort signal only to a processor that declares it.
 */
export const processGenerateJob =
  (deps: Pick<GenerateWorkerDeps, 'replies' | 'logger' | 'metrics'>) =>
  async (
    job: Pick<Job, 'data' | 'id' | 'attemptsStarted'>,
    _token?: string,
    signal?: AbortSignal,
  ): Promise<ReplyOutcome> => {
    const { replyId, turn } = dataOf(job);
    // The line chaos and operators look for: which process generates which reply (start > 1: a takeover).
    deps.logger.info({ replyId, pid: process.pid, start: job.attemptsStarted }, 'generating reply');
    const outcome = await deps.replies.generate(replyId, { signal, fence: job.attemptsStarted, turn });
    if (outcome === 'no-turn')
      deps.logger.warn({ replyId }, 'generate job for a reply with no stored turn: nothing to do');
    if (outcome === 'cancelled') deps.metrics?.repliesCancelled.inc({ ended_by: 'worker' });
    return outcome;
  };

/** A failed job that BullMQ will not run again: stalled too often (its deferred failure), or its one attempt threw. */
const isFinal = (job: Job, error: Error) =>
  error instanceof UnrecoverableError ||
  error.name === 'UnrecoverableError' ||
  job.attemptsMade >= (job.opts.attempts ?? 1);

/**
 * The generate worker: BullMQ's lock marks a reply as owned by a live worker (renewed every
 * half `lockMs`); when its process dies the lock runs out, the stalled check (every
 * `stalledIntervalMs`, in every worker) puts the job back and another worker takes it over
 * (the use case then restarts the reply). After `maxStalls` stalls BullMQ fails the job; the
 * `failed` handler ends the reply with INTERRUPTED and stores what it streamed. A worker whose
 * lock was taken from it (a stalled event loop) aborts its reply without storing anything.
 */
export const createGenerateWorker = (deps: GenerateWorkerDeps): Component => {
  let worker: Worker<GenerateJobData> | undefined;
  let stopRecovering: (() => void) | undefined;
  const scheduler = deps.scheduler ?? systemScheduler;

  const onFailed = async (job: Job<GenerateJobData> | undefined, error: Error) => {
    if (!job) return;
    deps.logger.error({ err: error, replyId: job.id, attemptsStarted: job.attemptsStarted }, 'generate job failed');
    if (!isFinal(job, error)) return;
    // BullMQ's own reason for a job that stalled more than maxStalledCount times.
    const failure = error.message.includes('stalled')
      ? INTERRUPTED_REPLY
      : { code: 'INTERNAL', message: 'the reply could not be stored' };
    deps.metrics?.repliesGivenUp.inc({ code: failure.code });
    await deps.replies.giveUp(String(job.id), failure);
  };

  // One sweep at a time per process: a slow database must not pile sweeps up.
  let sweeping = false;
  const recoverNow = async () => {
    if (sweeping || !deps.recover) return;
    sweeping = true;
    try {
      deps.metrics?.repliesRecovered.inc(await deps.recover());
    } finally {
      sweeping = false;
    }
  };

  return {
    name: 'generate-worker',
    async start() {
      const { config } = deps;
      const w = new Worker<GenerateJobData>(GENERATE_QUEUE, processGenerateJob(deps), {
        connection: deps.connection,
        prefix: deps.prefix,
        concurrency: config.concurrency,
        lockDuration: config.lockMs,
        stalledInterval: config.stalledIntervalMs,
        maxStalledCount: config.maxStalls,
      });
      worker = w;
      w.on('error', (error) => deps.logger.warn({ err: error }, 'generate worker error'));
      w.on(
        'failed',
        (job, error) =>
          void onFailed(job, error).catch((err: unknown) =>
            deps.logger.error({ err, replyId: job?.id }, 'failed generate job not ended'),
          ),
      );
      w.on('lockRenewalFailed', (jobIds) => jobIds.forEach((id) => w.cancelJob(id, REPLY_LOST)));
      // A no-op unless this worker runs the reply (the job id is the reply id).
      deps.cancellations?.onRequested((replyId) => worker?.cancelJob(replyId, REPLY_CANCELLED));
      await w.waitUntilReady();
      if (deps.recover) {
        stopRecovering = scheduler.every(
          config.recoverIntervalMs,
          () =>
            void recoverNow().catch((error: unknown) =>
              deps.logger.warn({ err: error }, 'recovery of awaiting replies failed'),
            ),
        );
      }
      deps.logger.info({ component: 'generate-worker', pid: process.pid }, 'generate-worker ready');
    },
    /** Waits up to drainMs for running replies, then cuts the rest (each is stored as partial and ended). */
    async stop() {
      stopRecovering?.();
      stopRecovering = undefined;
      const w = worker;
      worker = undefined;
      if (w) {
        const drained = new AbortController();
        void scheduler.sleep(deps.drainMs, drained.signal).then(
          () => w.cancelAllJobs(SHUTTING_DOWN),
          () => undefined, // every reply finished in time
        );
        await w.close();
        drained.abort();
      }
    },
    ready: async () => worker?.isRunning() ?? false,
  };
};
