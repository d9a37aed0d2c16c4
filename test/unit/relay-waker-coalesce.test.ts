import { coalesce } from '../../src/infra/redis/redis-relay-wake';

/** A run whose completion the test controls, recording when each run started. */
const controlledRuns = () => {
  const started: number[] = [];
  const finishers: ((error?: Error) => void)[] = [];
  let clock = 0;
  const run = () =>
    new Promise<void>((resolve, reject) => {
      started.push(clock);
      finishers.push((error) => (error ? reject(error) : resolve()));
    });
  return {
    run,
    started,
    finish: (index: number, error?: Error) => finishers[index]?.(error),
    tick: () => (clock += 1),
  };
};

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('coalesced relay wake-ups', () => {
  it('runs once for a lone call', async () => {
    const runs = controlledRuns();
    const wake = coalesce(runs.run);
    const done = wake();
    runs.finish(0);
    await expect(done).resolves.toBeUndefined();
    expect(runs.started).toHaveLength(1);
  });

  it('folds every call made during a run into one more run that starts after them', async () => {
    const runs = controlledRuns();
    const wake = coalesce(runs.run);
    const first = wake();
    runs.tick();
    const later = [wake(), wake(), wake()];
    expect(runs.started).toEqual([0]);
    runs.tick();
    runs.finish(0);
    await first;
    await settle();
    // One follow-up run for the three calls, started after all of them were made.
    expect(runs.started).toEqual([0, 2]);
    let resolved = false;
    void Promise.all(later).then(() => (resolved = true));
    await settle();
    expect(resolved).toBe(false);
    runs.finish(1);
    await Promise.all(later);
    expect(runs.started).toHaveLength(2);
  });

  it('keeps going after a failed run and reports the failure to its callers only', async () => {
    const runs = controlledRuns();
    const wake = coalesce(runs.run);
    const first = wake();
    const second = wake();
    runs.finish(0, new Error('redis down'));
    await expect(first).rejects.toThrow('redis down');
    await settle();
    runs.finish(1);
    await expect(second).resolves.toBeUndefined();
    const third = wake();
    expect(runs.started).toHaveLength(3);
    runs.finish(2);
    await expect(third).resolves.toBeUndefined();
  });

  describe('with a linger', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('wakes once for a burst of calls, after the linger', async () => {
      const runs = controlledRuns();
      const wake = coalesce(runs.run, { lingerMs: 2 });
      const burst = Array.from({ length: 5 }, () => wake());
      await jest.advanceTimersByTimeAsync(1);
      expect(runs.started).toHaveLength(0);
      burst.push(wake());
      await jest.advanceTimersByTimeAsync(1);
      expect(runs.started).toHaveLength(1);
      runs.finish(0);
      await Promise.all(burst);
      expect(runs.started).toHaveLength(1);
    });

    it('still follows a call made during a run with one more run', async () => {
      const runs = controlledRuns();
      const wake = coalesce(runs.run, { lingerMs: 2 });
      const first = wake();
      await jest.advanceTimersByTimeAsync(2);
      const during = [wake(), wake()];
      runs.finish(0);
      await first;
      await jest.advanceTimersByTimeAsync(0);
      expect(runs.started).toHaveLength(2);
      runs.finish(1);
      await Promise.all(during);
      const later = wake();
      await jest.advanceTimersByTimeAsync(2);
      expect(runs.started).toHaveLength(3);
      runs.finish(2);
      await later;
    });
  });
});
