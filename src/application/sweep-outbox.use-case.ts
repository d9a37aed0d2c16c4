import type { Clock } from '../domain/ports/clock';
import type { OutboxRelayStore } from '../domain/ports/outbox-relay-store';

/**
 * Safety net for the at-least-once hand-off: a PUBLISHED row the consumer has not
 * confirmed within `sweepAfterMs` is sent again (the consumer dedups the copy), and
 * claims left by a relay that died are cleared.
 */
export const createSweepOutbox =
  (deps: { store: OutboxRelayStore; clock: Clock; sweepAfterMs: number; limit: number }) => async () => {
    const now = deps.clock.now();
    return deps.store.sweep({ publishedBefore: new Date(now.getTime() - deps.sweepAfterMs), now, limit: deps.limit });
  };

/** Deletes CONSUMED rows past retention in bounded batches, so no statement holds long locks. */
export const createPurgeConsumed =
  (deps: { store: OutboxRelayStore; clock: Clock; retentionMs: number; batchSize: number; maxBatches: number }) => async () => {
    const consumedBefore = new Date(deps.clock.now().getTime() - deps.retentionMs);
    let deleted = 0;
    for (let round = 0; round < deps.maxBatches; round += 1) {
      const count = await deps.store.deleteConsumed({ consumedBefore, limit: deps.batchSize });
      deleted += count;
      if (count < deps.batchSize) break;
    }
    return { deleted };
  };
