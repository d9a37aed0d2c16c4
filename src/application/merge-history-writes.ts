import type { HistoryStore, PersistOutcome } from '../domain/ports/history-store';

type PersistInput = Parameters<HistoryStore['persist']>[0];
interface Group {
  readonly inputs: PersistInput[];
  outcome: Promise<PromiseSettledResult<PersistOutcome>[]>;
}

/**
 * Each caller's share of a merged write: its own events that were inserted (an event id in two
 * callers' batches counts for the first), the rest of its events as duplicates.
 */
const splitOutcome = (inputs: readonly PersistInput[], merged: PersistOutcome): PersistOutcome[] => {
  const left = new Set(merged.insertedEventIds);
  return inputs.map(({ events }) => {
    const insertedEventIds = new Set(events.map((e) => e.envelope.eventId).filter((id) => left.delete(id)));
    return { inserted: insertedEventIds.size, duplicates: events.length - insertedEventIds.size, insertedEventIds };
  });
};

/**
 * Persists handed over in the same turn of the event loop share one transaction. kafkajs hands
 * the batches of one fetch (one per partition) to `eachBatch` side by side, so at low load one
 * relay round that touched three partitions cost three history transactions; merged, it costs
 * one, and nobody waits for more than the current turn. Every guarantee of `persist` holds for
 * each caller: its events, CONSUMED marks and DEAD marks commit together (with the others') or
 * not at all, and each caller commits its offsets only after the merged commit resolved.
 * When a merged write fails, every caller runs its own write once more alone, so a batch the
 * database refuses fails (and is retried) on its own and never holds other partitions back.
 */
export const mergeConcurrentWrites = (store: HistoryStore): HistoryStore => {
  let open: Group | undefined;
  const runMerged = async (inputs: readonly PersistInput[]): Promise<PromiseSettledResult<PersistOutcome>[]> => {
    if (inputs.length > 1) {
      const merged = await store
        .persist({
          events: inputs.flatMap((i) => i.events),
          poison: inputs.flatMap((i) => i.poison ?? []),
          now: (inputs[0] as PersistInput).now,
        })
        .catch(() => undefined);
      if (merged) return splitOutcome(inputs, merged).map((value) => ({ status: 'fulfilled', value }));
    }
    // Alone, or the merged write failed: each write on its own, each caller with its own outcome.
    return Promise.allSettled(inputs.map((input) => store.persist(input)));
  };
  return {
    persist(input) {
      if (!open) {
        const group: Group = { inputs: [], outcome: Promise.resolve([]) };
        group.outcome = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
          open = undefined;
          return runMerged(group.inputs);
        });
        open = group;
      }
      const group = open;
      const index = group.inputs.push(input) - 1;
      return group.outcome.then((outcomes) => {
        const mine = outcomes[index] as PromiseSettledResult<PersistOutcome>;
        if (mine.status === 'rejected') throw mine.reason;
        return mine.value;
      });
    },
  };
};
