import { mergeConcurrentWrites } from '../../src/application/merge-history-writes';
import type { ConsumedEvent } from '../../src/domain/ports/history-store';
import { createInMemoryHistoryStore } from '../support/fakes/in-memory-history-store';
import { anEnvelope } from '../support/builders';

const events = (count: number): ConsumedEvent[] => Array.from({ length: count }, () => ({ envelope: anEnvelope() }));
const now = new Date('2026-12-06T12:00:00Z');

describe('merged history writes', () => {
  it('writes the batches handed over in one turn in one persist, and answers each caller with its own counts', async () => {
    const store = createInMemoryHistoryStore();
    const merged = mergeConcurrentWrites(store);
    const [a, b, c] = [events(2), events(3), events(1)];
    await merged.persist({ events: a, now });
    const outcomes = await Promise.all([
      merged.persist({ events: b, now }),
      merged.persist({ events: [...c, ...a], now }),
    ]);
    // The first write ran alone; the two handed over together shared one persist call.
    expect(store.persistCalls.map((call) => call.length)).toEqual([2, 6]);
    expect(outcomes.map(({ inserted, duplicates }) => ({ inserted, duplicates }))).toEqual([
      { inserted: 3, duplicates: 0 },
      { inserted: 1, duplicates: 2 },
    ]);
    expect(store.history).toHaveLength(6);
  });

  it('splits exactly by the event ids the store reports as inserted', async () => {
    const [a, b] = [events(2), events(2)];
    const shared = a[0] as ConsumedEvent;
    const store = {
      persist: jest.fn(async () => ({
        inserted: 4,
        duplicates: 1,
        insertedEventIds: new Set([...a, ...b].map((e) => e.envelope.eventId)),
      })),
    };
    const merged = mergeConcurrentWrites(store);
    // The same event in both batches counts as inserted for the first caller only.
    const outcomes = await Promise.all([
      merged.persist({ events: a, now }),
      merged.persist({ events: [shared, ...b], now }),
    ]);
    expect(store.persist).toHaveBeenCalledTimes(1);
    const ids = (list: readonly ConsumedEvent[]) => new Set(list.map((e) => e.envelope.eventId));
    expect(outcomes).toEqual([
      { inserted: 2, duplicates: 0, insertedEventIds: ids(a) },
      { inserted: 2, duplicates: 1, insertedEventIds: ids(b) },
    ]);
  });

  it('runs each write alone when the merged one fails, so only the batch the database refuses fails', async () => {
    const [good, bad] = [events(2), events(1)];
    const badId = (bad[0] as ConsumedEvent).envelope.eventId;
    const calls: number[] = [];
    const store = {
      persist: jest.fn(async (input: { events: readonly ConsumedEvent[] }) => {
        calls.push(input.events.length);
        if (input.events.some((e) => e.envelope.eventId === badId)) throw new Error('data too long');
        return {
          inserted: input.events.length,
          duplicates: 0,
          insertedEventIds: new Set(input.events.map((e) => e.envelope.eventId)),
        };
      }),
    };
    const merged = mergeConcurrentWrites(store);
    const [first, second] = await Promise.allSettled([
      merged.persist({ events: good, now }),
      merged.persist({ events: bad, now }),
    ]);
    expect(calls).toEqual([3, 2, 1]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { inserted: 2, duplicates: 0 } });
    expect(second).toMatchObject({ status: 'rejected', reason: new Error('data too long') });
  });

  it("carries every batch's poison records into the merged write", async () => {
    const store = createInMemoryHistoryStore();
    const merged = mergeConcurrentWrites(store);
    await Promise.all([
      merged.persist({ events: events(1), poison: [{ eventId: 'e-1', reason: 'poison: a' }], now }),
      merged.persist({ events: [], poison: [{ outboxId: '7', reason: 'poison: b' }], now }),
    ]);
    expect(store.persistCalls).toHaveLength(1);
    expect(store.poison.map((p) => p.reason)).toEqual(['poison: a', 'poison: b']);
  });
});
