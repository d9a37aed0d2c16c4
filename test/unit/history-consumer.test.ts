import type { TopicPartitionOffsetAndMetadata } from 'kafkajs';
import { createPersistHistoryBatch } from '../../src/application/persist-history-batch.use-case';
import { handleHistoryBatch, type HistoryBatchDeps } from '../../src/infra/kafka/history.consumer';
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
  const commits: TopicPartitionOffsetAndMetadata[][] = [];
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
    commit: async (offsets) => {
      steps.push('commit');
      commits.push(offsets);
    },
    logger: createLogger({ level: 'silent' }),
    retry: RETRY,
    heartbeatEveryMs: 1_000,
    scheduler,
  };
  return { store, steps, commits, sleeps, deps };
};

const envelopeRecords = (...offsets: string[]): FakeRecord[] =>
  offsets.map((offset) => ({ offset, value: JSON.stringify(anEnvelope()) }));

describe('handleHistoryBatch', () => {
  it('commits offset last + 1 after persisting, and resolves the last offset', async () => {
    const { deps, commits, store } = setup();
    const batch = aKafkaBatch(envelopeRecords('10', '11', '12'), { topic: 'history', partition: 4 });
    await expect(handleHistoryBatch(deps, batch.payload)).resolves.toBe('committed');
    expect(store.history).toHaveLength(3);
    expect(commits).toEqual([[{ topic: 'history', partition: 4, offset: '13' }]]);
    expect(batch.resolvedOffsets).toEqual(['12']);
  });

  it('persists before it commits', async () => {
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

  it('does not resolve the offset when the commit fails', async () => {
    const { deps } = setup();
    deps.commit = async () => {
      throw new Error('coordinator not available');
    };
    const batch = aKafkaBatch(envelopeRecords('2'));
    await expect(handleHistoryBatch(deps, batch.payload)).rejects.toThrow('coordinator not available');
    expect(batch.resolvedOffsets).toEqual([]);
  });
});
