import type { LogProgressReader } from '../domain/ports/log-progress';
import type { Clock } from '../domain/ports/clock';
import type { OutboxRelayStore } from '../domain/ports/outbox-relay-store';
import { lostRanges, type LostRange } from '../domain/lost-records';

export interface SweepSummary {
  /** Rows sent again: `unrecorded` (no log position, by age alone) + `lost` (by the log's state). */
  requeued: number;
  unrecorded: number;
  lost: number;
  /** Expired claims cleared. */
  released: number;
  /** The broker could not say where the log and the group stand: positioned rows were left alone. */
  progressUnknown: boolean;
}

/**
 * Safety net for the at-least-once hand-off, re-publishing only what is really lost. A
 * PUBLISHED row unconfirmed after `sweepAfterMs` is sent again (the consumer dedups the copy)
 * when it has no recorded log position, or when its position is in its partition's lost range
 * (domain/lost-records.ts: passed by the consumer group, deleted by retention, or truncated).
 * Rows still waiting in a slow consumer's partition stay PUBLISHED. Claims left by a relay
 * that died are cleared. One log-progress read per sweep, never one per row.
 */
export const createSweepOutbox =
  (deps: { store: OutboxRelayStore; progress: LogProgressReader; clock: Clock; sweepAfterMs: number; limit: number }) =>
  async (): Promise<SweepSummary> => {
    const now = deps.clock.now();
    const publishedBefore = new Date(now.getTime() - deps.sweepAfterMs);
    const topics = await deps.store.sweepTopics(publishedBefore);
    const lost = topics.length === 0 ? [] : await readLostRanges(deps.progress, topics);
    const result = await deps.store.sweep({ publishedBefore, now, limit: deps.limit, lost });
    return { requeued: result.unrecorded + result.lost, ...result, progressUnknown: lost === undefined };
  };

/** A broker that cannot answer cannot take copies either: keep positioned rows until it can. */
const readLostRanges = async (
  reader: LogProgressReader,
  topics: readonly string[],
): Promise<LostRange[] | undefined> => {
  try {
    return lostRanges(await reader.progress(topics));
  } catch {
    return undefined;
  }
};

/** Deletes rows past retention in bounded batches, so no statement holds long locks. */
export const createPurge =
  (deps: {
    deleteBatch: (before: Date, limit: number) => Promise<number>;
    clock: Clock;
    retentionMs: number;
    batchSize: number;
    maxBatches: number;
  }) =>
  async () => {
    const before = new Date(deps.clock.now().getTime() - deps.retentionMs);
    let deleted = 0;
    for (let round = 0; round < deps.maxBatches; round += 1) {
      const count = await deps.deleteBatch(before, deps.batchSize);
      deleted += count;
      if (count < deps.batchSize) break;
    }
    return { deleted };
  };

/** CONSUMED outbox rows past retention. */
export const createPurgeConsumed = (deps: {
  store: OutboxRelayStore;
  clock: Clock;
  retentionMs: number;
  batchSize: number;
  maxBatches: number;
}) =>
  createPurge({
    ...deps,
    deleteBatch: (consumedBefore, limit) => deps.store.deleteConsumed({ consumedBefore, limit }),
  });
