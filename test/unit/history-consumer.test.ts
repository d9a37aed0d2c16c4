import { createPersistHistoryBatch } from '../../src/application/persist-history-batch.use-case';
import { handleHistoryBatch, type HistoryBatchDeps } from '../../src/infra/kafka/history.consumer';
import type { CommitOffsets, NextOffset } from '../../src/infra/kafka/offset-committer';
import { createLogger } from '../../src/infra/logger';
import { anEnvelope } from '../support/builders';
import { createFakeClock } from '../support/fakes/fake-clock';
import { createFakeScheduler } from '../support/fakes/fake-scheduler';
import { createInMemoryHistoryStore } from '../support/fakes/in-memory-history-store';
import { aKafkaBatch, type FakeRecord } from '../support/fakes/kafka-batch';

const RETRY = { baseMs: 100, capMs: 400 };

const setup = () => {
  const store = createInMemoryHistoryStore();
  const steps: string[] = [];
  /** Offsets offered to the committer, one list per offer (the committer's own tests cover when it commits). */
  const commits: NextOffset[][] = [];
  /** Offers and flushes, each with whether a commit it makes goes through the batch's own commit. */
  const offers: { throughBatch: boolean }[] = [];
  const flushes: { throughBatch: boolean }[] = [];
  // Waits take no real time; `sleeps` lists them.
  const scheduler = createFakeScheduler({ autoAdvance: true });
  const { sleeps } = scheduler;
  const persist = createPersistHistoryBatch({
    store,
    clock: createFakeClock(),
    logger: createLogger({ level: 'silent' }),
  });
  const deps: HistoryBatchDeps = {
    persist: async (records) => {
      steps.push('persist');
      return persist(records);
    },
    offsets: {
      offer: async (next, via?: CommitOffsets) => {
        steps.push('commit');
        commits.push([next]);
        offers.push({ throughBatch: via !== undefined });
      },
      flush: async (via?: CommitOffsets) => {
        flushes.push({ throughBatch: via !== undefined });
        await via?.([{ topic: 'history-topic', partition: 0, offset: '99' }]);
      },
    },
    logger: createLogger({ level: 'silent' }),
    retry: RETRY,
    heartbeatEveryMs: 1_000,
    scheduler,
  };
  return { store, steps, commits, offers, flushes, sleeps, deps };
};

const envelopeRecords = (...offsets: string[]): FakeRecord[] =>
  offsets.map((offset) => ({ offset, value: JSON.stringify(anEnvelope()) }));

describe('handleHistoryBatch', () => {
  it('offers offset last + 1 to the committer after persisting, and resolves the last offset', async () => {
    const { deps, commits, store } = setup();
    const batch = aKafkaBatch(envelopeRecords('10', '11', '12'), { topic: 'history', partition: 4 });
    await expect(handleHistoryBatch(deps, batch.payload)).resolves.toBe('committed');
    expect(store.history).toHaveLength(3);
    expect(commits).toEqual([[{ topic: 'history', partition: 4, offset: '13' }]]);
    expect(batch.resolvedOffsets).toEqual(['12']);
  });

  it('persists before it offers the offset for commit', async () => {
    const { deps, steps } = setup();
    await handleHistoryBatch(deps, aKafkaBatch(envelopeRecords('0')).payload);
    expect(steps).toEqual(['persist', 'commit']);
  });

  it('computes the next offset exactly beyond 2^53', async () => {
    const { deps, commits } = setup();
    await handleHistoryBatch(deps, aKafkaBatch(envelopeRecords('9007199254740993')).payload);
    expect(commits[0]?.[0]?.offset).toBe('9007199254740994');
  });

  it('hands headers over as text, taking the first of repeated headers', async () => {
    const { deps, store } = setup();
    const headers = { 'outbox-id': Buffer.from('77'), 'event-id': ['first', 'second'] };
    await handleHistoryBatch(deps, aKafkaBatch([{ offset: '5', value: 'not json', headers }]).payload);
    expect(store.poison).toEqual([{ outboxId: '77', eventId: 'first', reason: 'poison: value is not JSON' }]);
  });

  it('retries a persist that fails twice, with growing backoff, then commits once', async () => {
    const { deps, store, commits, sleeps } = setup();
    store.failNextPersists(2);
    const batch = aKafkaBatch(envelopeRecords('3', '4'));
    await expect(handleHistoryBatch(deps, batch.payload)).resolves.toBe('committed');
    expect(store.persistCalls).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(RETRY.baseMs / 2);
    expect(sleeps[0]).toBeLessThanOrEqual(RETRY.baseMs);
    expect(sleeps[1]).toBeGreaterThanOrEqual(RETRY.baseMs);
    expect(sleeps[1]).toBeLessThanOrEqual(RETRY.baseMs * 2);
    expect(commits).toEqual([[expect.objectContaining({ offset: '5' })]]);
    expect(store.history).toHaveLength(2);
  });

  it('heartbeats after each failed attempt so the group keeps the partition', async () => {
    const { deps, store } = setup();
    store.failNextPersists(2);
    const batch = aKafkaBatch(envelopeRecords('0'));
    await handleHistoryBatch(deps, batch.payload);
    expect(batch.heartbeats.count).toBe(2);
  });

  it('waits out a long database outage in heartbeat-sized slices, heartbeating after each, then commits once', async () => {
    const { deps, store, sleeps, commits } = setup();
    deps.heartbeatEveryMs = 150;
    store.failNextPersists(6);
    const batch = aKafkaBatch(envelopeRecords('0', '1'));
    await expect(handleHistoryBatch(deps, batch.payload)).resolves.toBe('committed');
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(150);
    expect(batch.heartbeats.count).toBe(sleeps.length);
    // Six backoffs, the later ones at the 400 ms cap: at least 6 × 200 ms slept in all, in more slices than attempts.
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1_000);
    expect(sleeps.length).toBeGreaterThan(6);
    expect(commits).toEqual([[expect.objectContaining({ offset: '2' })]]);
  });

  it('gives the batch back uncommitted when a heartbeat says the group is rebalancing', async () => {
    const { deps, store, commits } = setup();
    store.failNextPersists(Number.MAX_SAFE_INTEGER);
    const batch = aKafkaBatch(envelopeRecords('3'));
    batch.payload.heartbeat = async () => {
      throw Object.assign(new Error('The group is rebalancing'), { type: 'REBALANCE_IN_PROGRESS' });
    };
    await expect(handleHistoryBatch(deps, batch.payload)).resolves.toBe('abandoned');
    expect(store.persistCalls).toHaveLength(1);
    expect(commits).toEqual([]);
  });

  it('keeps waiting through a heartbeat failure that is not a rebalance (kafkajs recovers it)', async () => {
    const { deps, store, commits } = setup();
    store.failNextPersists(2);
    const batch = aKafkaBatch(envelopeRecords('3'));
    batch.payload.heartbeat = async () => {
      throw Object.assign(new Error('coordinator not available'), { type: 'GROUP_COORDINATOR_NOT_AVAILABLE' });
    };
    await expect(handleHistoryBatch(deps, batch.payload)).resolves.toBe('committed');
    expect(commits).toHaveLength(1);
  });

  it('abandons the batch without committing when the consumer stops during retries', async () => {
    const { deps, store, commits } = setup();
    store.failNextPersists(Number.MAX_SAFE_INTEGER);
    const batch = aKafkaBatch(envelopeRecords('8'));
    const { scheduler } = deps;
    deps.scheduler = {
      ...scheduler,
      sleep: async (ms, signal) => {
        await scheduler.sleep(ms, signal);
        if (store.persistCalls.length === 2) batch.running = [false];
      },
    };
    await expect(handleHistoryBatch(deps, batch.payload)).resolves.toBe('abandoned');
    expect(store.persistCalls).toHaveLength(2);
    expect(commits).toEqual([]);
    expect(batch.resolvedOffsets).toEqual([]);
  });

  it('abandons the batch without committing when the partition is revoked (stale batch)', async () => {
    const { deps, store, commits } = setup();
    store.failNextPersists(1);
    const batch = aKafkaBatch(envelopeRecords('8'));
    deps.scheduler = {
      ...deps.scheduler,
      sleep: async () => {
        batch.stale = true;
      },
    };
    await expect(handleHistoryBatch(deps, batch.payload)).resolves.toBe('abandoned');
    expect(commits).toEqual([]);
  });

  it('does not persist anything once the consumer is no longer running', async () => {
    const { deps, store } = setup();
    const batch = aKafkaBatch(envelopeRecords('1'));
    batch.running = [false];
    await expect(handleHistoryBatch(deps, batch.payload)).resolves.toBe('abandoned');
    expect(store.persistCalls).toEqual([]);
  });

  it('commits nothing for an empty batch', async () => {
    const { deps, steps } = setup();
    const batch = aKafkaBatch([]);
    await expect(handleHistoryBatch(deps, batch.payload)).resolves.toBe('committed');
    expect(steps).toEqual([]);
    expect(batch.resolvedOffsets).toEqual([]);
  });

  it('does not flush while the consumer runs: the committer decides when, through the consumer', async () => {
    const { deps, offers, flushes } = setup();
    await handleHistoryBatch(deps, aKafkaBatch(envelopeRecords('1')).payload);
    expect(offers).toEqual([{ throughBatch: false }]);
    expect(flushes).toEqual([]);
  });

  it('commits through its own payload once the consumer is stopping (consumer.commitOffsets is then a no-op)', async () => {
    const { deps, offers, flushes, steps } = setup();
    const batch = aKafkaBatch(envelopeRecords('1'));
    const throughBatch: unknown[] = [];
    batch.payload.commitOffsetsIfNecessary = async (offsets) => void throughBatch.push(offsets);
    // Running when the batch starts, stopped by the time it is stored.
    batch.running = [true, false];
    await expect(handleHistoryBatch(deps, batch.payload)).resolves.toBe('committed');
    expect(steps).toEqual(['persist', 'commit']);
    expect(offers).toEqual([{ throughBatch: true }]);
    expect(flushes).toEqual([{ throughBatch: true }]);
    expect(throughBatch).toEqual([
      { topics: [{ topic: 'history-topic', partitions: [{ partition: 0, offset: '99' }] }] },
    ]);
  });

  it('commits through its own payload when our stop() has begun, even before kafkajs stops running', async () => {
    const { deps, offers, flushes } = setup();
    deps.stopping = () => true;
    await handleHistoryBatch(deps, aKafkaBatch(envelopeRecords('1')).payload);
    expect(offers).toEqual([{ throughBatch: true }]);
    expect(flushes).toEqual([{ throughBatch: true }]);
  });
});
