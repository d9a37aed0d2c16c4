import { Queue } from 'bullmq';
import type { TurnPromptKey } from '../domain/chat/chat-types';
import type { Component } from '../infra/lifecycle';
import type { Logger } from '../infra/logger';
import type { WorkerConnection } from '../infra/redis/create-redis';
import { pingQueue } from './ping-queue';
import { GENERATE_JOB, GENERATE_QUEUE, JOB_RETENTION } from './queues';

/**
 * A generate job names its reply; the worker loads the turn and builds the prompt itself. A send
 * adds what the prompt's reads need (`turn`), so the worker can start them alongside its read of
 * the turn: only a hint, kept when the stored turn agrees (generate-reply.use-case.ts).
 */
export interface GenerateJobData {
  readonly replyId: string;
  readonly turn?: TurnPromptKey;
}

export interface GenerateQueue extends Component {
  /** Adds the reply's job; a job with that id that still exists (waiting, active, kept) makes it a no-op. */
  enqueue(data: GenerateJobData): Promise<void>;
  /**
   * Adds the job again for a reply still awaiting its message: a finished job kept for retention
   * would make `enqueue` a no-op, so it is removed first; a waiting or active one is left alone.
   * Returns whether a job was added.
   */
  requeue(data: GenerateJobData): Promise<boolean>;
  /**
   * Removes the reply's job if no worker has started it (waiting or delayed). True when no worker
   * will run it: removed, or not in the queue at all; false when a worker runs or ran it.
   */
  dropUnstarted(replyId: string): Promise<boolean>;
}

/** The producer side of the generate queue (the api role, and the recovery of awaiting replies). */
export const createGenerateQueue = (deps: {
  connection: WorkerConnection;
  prefix: string;
  logger: Logger;
}): GenerateQueue => {
  let queue: Queue<GenerateJobData> | undefined;
  const opened = () => {
    if (!queue) {
      // Fail fast: a send whose enqueue cannot reach Redis is recovered from the database later, not queued in memory.
      queue = new Queue<GenerateJobData>(GENERATE_QUEUE, {
        connection: { ...deps.connection, maxRetriesPerRequest: 1, enableOfflineQueue: false },
        prefix: deps.prefix,
      });
      queue.on('error', (error) => deps.logger.warn({ err: error }, 'generate queue error'));
    }
    return queue;
  };
  // attempts: 1 — the use case retries storing itself; a job that still throws is given up by the worker.
  const add = (data: GenerateJobData) =>
    opened().add(
      GENERATE_JOB,
      { replyId: data.replyId, ...(data.turn ? { turn: data.turn } : {}) },
      { jobId: data.replyId, attempts: 1, ...JOB_RETENTION },
    );
  return {
    name: 'generate-queue',
    async enqueue(data) {
      await add(data);
    },
    async requeue(data) {
      const state = await opened().getJobState(data.replyId);
      if (state === 'completed' || state === 'failed') await opened().remove(data.replyId);
      else if (state !== 'unknown') return false;
      await add(data);
      return true;
    },
    async dropUnstarted(replyId) {
      const state = await opened().getJobState(replyId);
      if (state === 'unknown') return true;
      if (state === 'active' || state === 'completed' || state === 'failed') return false;
      // Atomic in Redis: 0 when a worker locked the job since its state was read.
      return (await opened().remove(replyId)) === 1;
    },
    async start() {
      await opened().waitUntilReady();
    },
    async stop() {
      await queue?.close();
      queue = undefined;
    },
    ready: async () => (queue ? pingQueue(queue) : false),
  };
};
