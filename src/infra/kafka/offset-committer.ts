import type { Logger } from '../../domain/ports/logger';
import type { Scheduler } from '../../domain/ports/scheduler';
import { describeError } from './kafka-errors';

/** Where a partition resumes: the last stored offset + 1 (what Kafka's committed offset means). */
export interface NextOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export type CommitOffsets = (offsets: NextOffset[]) => Promise<void>;

/**
 * Coalesces the consumer's offset commits to at most one per interval: at a trickle nearly every
 * record is a batch of its own, and one OffsetCommit per batch is a broker request per record
 * (CPU here and in the broker). Only offsets of stored batches are offered, so nothing is ever
 * committed past what was stored; what waits for the interval is delivered again after a crash,
 * harmless under the dedup by event id. None of its methods reject: a commit failure is logged
 * and retried, never thrown into the batch loop.
 */
export interface OffsetCommitter {
  /**
   * A stored batch's next offset. Commits at once (resolving when done) when the interval has
   * passed, else once at its end; a commit made at once goes through `via` when given.
   */
  offer(next: NextOffset, via?: CommitOffsets): Promise<void>;
  /** Commits what is pending now, through `via` when given (the stopping consumer's last link to its group). */
  flush(via?: CommitOffsets): Promise<void>;
  /** A rebalance began: commits what is pending once, now, and forgets it whatever the outcome. */
  handOver(): Promise<void>;
  /** Forgets what is pending and cancels the trailing commit (the member stopped or crashed). */
  discard(): void;
}

/** A failed commit is tried again no sooner than this, even at interval 0: a broken coordinator is not asked in a loop. */
const RETRY_AFTER_FAILURE_MS = 1_000;

export const createOffsetCommitter = (deps: {
  commit: CommitOffsets;
  /** 0: commit after every batch. */
  intervalMs: number;
  scheduler: Scheduler;
  logger: Logger;
}): OffsetCommitter => {
  const { commit, intervalMs, scheduler, logger } = deps;
  const keyOf = (o: NextOffset) => `${o.topic}\u0000${o.partition}`;
  const now = () => scheduler.now().getTime();
  /** Highest offset offered per partition since the last hand-over: an offer never moves one back. */
  let highest = new Map<string, bigint>();
  let pending = new Map<string, NextOffset>();
  /** Bumped by a hand-over or discard: a commit started before it never puts its offsets back. */
  let epoch = 0;
  let lastAttemptAt: number | undefined;
  let lastFailed = false;
  let inFlight: Promise<void> | undefined;
  let trailing: AbortController | undefined;

  const waitLeft = () => {
    if (lastAttemptAt === undefined) return 0;
    const gap = lastFailed ? Math.max(intervalMs, RETRY_AFTER_FAILURE_MS) : intervalMs;
    return Math.max(0, lastAttemptAt + gap - now());
  };

  const cancelTrailing = () => {
    trailing?.abort();
    trailing = undefined;
  };

  /**
   * `via` is called before the first await, so a hand-over's first try carries the generation it
   * was made in (kafkajs's own retries of it may not: see the consumer's REBALANCING handler).
   */
  const send = async (offsets: NextOffset[], via: CommitOffsets, madeIn: number) => {
    lastAttemptAt = now();
    try {
      await via(offsets);
      if (madeIn === epoch) lastFailed = false;
    } catch (error) {
      if (madeIn !== epoch) {
        logger.warn({ err: describeError(error), offsets }, 'offset commit failed after a rebalance or stop; dropped');
        return;
      }
      logger.warn({ err: describeError(error), offsets }, 'offset commit failed; kept for the next commit');
      lastFailed = true;
      // An offset offered since is newer (offers only move forward) and supersedes this one.
      for (const o of offsets) if (!pending.has(keyOf(o))) pending.set(keyOf(o), o);
    }
  };

  const arrange = () => {
    if (pending.size === 0 || inFlight || trailing) return;
    const timer = new AbortController();
    trailing = timer;
    scheduler.sleep(waitLeft(), timer.signal).then(
      () => {
        if (trailing === timer) trailing = undefined;
        return commitPending(commit);
      },
      () => undefined, // cancelled: a commit went out sooner, or discarded
    );
  };

  /**
   * One commit at a time: kafkajs retries a failed commit by itself, and a retry of older offsets
   * landing after a newer commit would move the group's offset back. The one exception is
   * handOver, which sends at once while the old generation still stands.
   */
  const commitPending = async (via: CommitOffsets): Promise<void> => {
    while (inFlight) await inFlight;
    cancelTrailing(); // after the wait: the commit that ended may have arranged one for what this takes now
    if (pending.size === 0) return;
    const offsets = [...pending.values()];
    pending = new Map();
    const run = send(offsets, via, epoch);
    inFlight = run;
    await run;
    inFlight = undefined;
    arrange(); // what was offered meanwhile, or put back by a failure
  };

  const forget = () => {
    cancelTrailing();
    epoch += 1;
    pending = new Map();
    highest = new Map();
    lastFailed = false;
  };

  return {
    offer(next, via = commit) {
      const key = keyOf(next);
      const offset = BigInt(next.offset);
      if ((highest.get(key) ?? -1n) >= offset) return Promise.resolve();
      highest.set(key, offset);
      pending.set(key, next);
      if (!inFlight && waitLeft() === 0) return commitPending(via);
      arrange();
      return Promise.resolve();
    },
    flush: (via = commit) => commitPending(via),
    async handOver() {
      const offsets = [...pending.values()];
      const madeIn = epoch;
      forget();
      // Sent at once, not behind a commit in flight: the generation is still the old one now,
      // and the coordinator accepts its commits until the group's members have rejoined.
      if (offsets.length > 0) await send(offsets, commit, madeIn);
    },
    discard: forget,
  };
};
