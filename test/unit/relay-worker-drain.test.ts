import { NO_ROWS, type RelayBatchSummary } from '../../src/application/relay-batch.use-case';
import { FLOWING, type PublishingState } from '../../src/domain/publishing-state';
import {
  createExclusive,
  drain,
  drainAfterWake,
  processRelayJob,
  type RelayWorkerDeps,
} from '../../src/jobs/relay.worker';
import { createRecordingLogger } from '../support/fakes/recording-logger';
import { testConfig } from '../support/test-config';

const summary = (claimed: number): RelayBatchSummary => ({ ...NO_ROWS, claimed, published: claimed });

/** A relayBatch that claims the given sizes in turn (0 once they run out), tracking overlap. */
const scriptedBatches = (sizes: number[]) => {
  let inFlight = 0;
  let maxInFlight = 0;
  let calls = 0;
  const relayBatch = async () => {
    calls += 1;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // Yield to the other loop, as a claim's round trip does, so overlapping loops overlap.
    await new Promise((resolve) => setImmediate(resolve));
    inFlight -= 1;
    return summary(sizes.shift() ?? 0);
  };
  return { relayBatch, calls: () => calls, maxInFlight: () => maxInFlight };
};

const depsWith = (relayBatch: () => Promise<RelayBatchSummary>, overrides: Record<string, string> = {}) => ({
  relayBatch,
  config: testConfig({ RELAY_BATCH_SIZE: '10', RELAY_CONCURRENCY: '2', ...overrides }).relay,
  logger: createRecordingLogger() as never,
});

describe('relay drain', () => {
  it('ends after one claim when it comes back short (a few commits since the last wake-up)', async () => {
    const batches = scriptedBatches([3]);
    await expect(drain(depsWith(batches.relayBatch))).resolves.toMatchObject({ claimed: 3, published: 3 });
    expect(batches.calls()).toBe(1);
  });

  it('overlaps RELAY_CONCURRENCY claim loops after a full first claim, until claims come back empty', async () => {
    const batches = scriptedBatches([10, 10, 10, 10, 7, 4]);
    const total = await drain(depsWith(batches.relayBatch));
    expect(total.claimed).toBe(51);
    expect(batches.maxInFlight()).toBe(2);
    // Both loops end on an empty claim of their own.
    expect(batches.calls()).toBe(6 + 2);
  });

  it('runs one loop at a time when RELAY_CONCURRENCY is 1', async () => {
    const batches = scriptedBatches([10, 10, 5]);
    await drain(depsWith(batches.relayBatch, { RELAY_CONCURRENCY: '1' }));
    expect(batches.maxInFlight()).toBe(1);
  });

  it('stops after 100 batches per job even while claims stay full (the next job continues)', async () => {
    const batches = scriptedBatches(Array.from({ length: 500 }, () => 10));
    const total = await drain(depsWith(batches.relayBatch));
    expect(batches.calls()).toBe(100);
    expect(total.claimed).toBe(1000);
  });
});

describe('relay jobs', () => {
  const BLOCKED: PublishingState = {
    status: 'blocked',
    reason: 'KafkaJSConnectionError',
    since: new Date(0),
    probes: 1,
    nextProbeAt: new Date(0),
  };
  const jobDeps = (hasDue: boolean, state: PublishingState = FLOWING) => {
    const batches = scriptedBatches([2]);
    const deps = {
      ...depsWith(batches.relayBatch),
      hasDue: async () => hasDue,
      sweep: async () => ({ requeued: 0, released: 0 }),
      purge: async () => ({ deleted: 0 }),
      gate: { state: () => state },
    } as unknown as RelayWorkerDeps;
    return { batches, run: processRelayJob(deps) };
  };

  it('a scheduled scan while publishing is blocked runs the round that probes the broker, even with nothing due', async () => {
    const { batches, run } = jobDeps(false, BLOCKED);
    await expect(run({ name: 'scan', data: {} })).resolves.toMatchObject({ claimed: 2 });
    expect(batches.calls()).toBe(1);
  });

  it('a scheduled scan of an idle outbox opens no claim', async () => {
    const { batches, run } = jobDeps(false);
    await expect(run({ name: 'scan', data: {} })).resolves.toMatchObject({ claimed: 0 });
    expect(batches.calls()).toBe(0);
  });

  describe('follow-up wake-ups (so the safety-net scan can be rare)', () => {
    const followUps = (state: PublishingState, rounds: RelayBatchSummary[]) => {
      const asked: Date[] = [];
      const deps = {
        ...depsWith(async () => rounds.shift() ?? summary(0)),
        hasDue: async () => true,
        gate: { state: () => state },
        wakeAt: (at: Date) => asked.push(at),
      } as unknown as RelayWorkerDeps;
      return { asked, run: processRelayJob(deps) };
    };

    it('asks to be woken when the earliest row it sent into backoff comes due', async () => {
      const soon = new Date(5_000);
      const later = new Date(9_000);
      // A full first claim, so two rounds run: the earlier retry of the two wins.
      const full = { ...summary(10), retried: 1, nextRetryAt: later };
      const { asked, run } = followUps(FLOWING, [full, { ...summary(3), retried: 1, nextRetryAt: soon }]);
      await run({ name: 'wake', data: {} });
      expect(asked).toEqual([soon]);
    });

    it('asks to be woken for the next broker probe while publishing is blocked', async () => {
      const { asked, run } = followUps(BLOCKED, [summary(0)]);
      await run({ name: 'scan', data: {} });
      expect(asked).toEqual([BLOCKED.nextProbeAt]);
    });

    it('asks for nothing after a round that left nothing waiting', async () => {
      const { asked, run } = followUps(FLOWING, [summary(2)]);
      await run({ name: 'wake', data: {} });
      expect(asked).toEqual([]);
    });
  });

  it('a scheduled scan with a due row drains, and a wake-up drains without looking first', async () => {
    const due = jobDeps(true);
    await expect(due.run({ name: 'scan', data: {} })).resolves.toMatchObject({ claimed: 2 });
    const woken = jobDeps(false);
    await expect(woken.run({ name: 'wake', data: {} })).resolves.toMatchObject({ claimed: 2 });
  });
});

describe("a writer's wake-up (the Redis token)", () => {
  const wakeDeps = (rounds: RelayBatchSummary[], hasDue: boolean, state: PublishingState = FLOWING) => {
    const asked: Date[] = [];
    let looked = 0;
    let rechecks = 0;
    let closing = false;
    const deps = {
      ...depsWith(async () => rounds.shift() ?? summary(0)),
      hasDue: async () => ((looked += 1), hasDue),
      gate: { state: () => state },
      wakeAt: (at: Date) => asked.push(at),
      recheckSoon: () => (rechecks += 1),
      closing: () => closing,
    } as unknown as RelayWorkerDeps;
    return {
      asked,
      looked: () => looked,
      rechecks: () => rechecks,
      close: () => (closing = true),
      run: () => drainAfterWake(deps),
    };
  };

  it("asks for one more look when its claim came back empty although a row is due (held back by another drain's lease)", async () => {
    const woken = wakeDeps([summary(0)], true);
    await woken.run();
    expect([woken.looked(), woken.rechecks()]).toEqual([1, 1]);
  });

  it('neither looks nor asks again after a claim that took rows, or when nothing is due', async () => {
    const claimed = wakeDeps([summary(2)], true);
    await claimed.run();
    expect([claimed.looked(), claimed.rechecks()]).toEqual([0, 0]);
    const idle = wakeDeps([summary(0)], false);
    await idle.run();
    expect([idle.looked(), idle.rechecks()]).toEqual([1, 0]);
  });

  it('while publishing is blocked, leaves the next look to the broker probe', async () => {
    const BLOCKED: PublishingState = {
      status: 'blocked',
      reason: 'down',
      since: new Date(0),
      probes: 1,
      nextProbeAt: new Date(7),
    };
    const blocked = wakeDeps([summary(0)], true, BLOCKED);
    await blocked.run();
    expect([blocked.looked(), blocked.rechecks(), blocked.asked]).toEqual([0, 0, [BLOCKED.nextProbeAt]]);
  });

  it('claims nothing once the worker is stopping (a drain that waited its turn behind another)', async () => {
    const stopping = wakeDeps([summary(2)], true);
    stopping.close();
    await expect(stopping.run()).resolves.toMatchObject({ claimed: 0 });
    expect([stopping.looked(), stopping.rechecks()]).toEqual([0, 0]);
  });
});

describe('drains in one process take turns', () => {
  it('starts a drain only after the one before it settled, failed ones included', async () => {
    const exclusive = createExclusive();
    const events: string[] = [];
    let finishFirst!: () => void;
    const first = exclusive(
      () =>
        new Promise<void>((resolve, reject) => {
          events.push('first starts');
          finishFirst = () => reject(new Error('database away'));
        }),
    );
    const second = exclusive(async () => void events.push('second starts'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['first starts']);
    finishFirst();
    await expect(first).rejects.toThrow('database away');
    await second;
    expect(events).toEqual(['first starts', 'second starts']);
  });
});
