import { retry, type RetryFailure } from '../../src/application/retry';
import type { AttemptPolicy } from '../../src/domain/retry-policy';
import { createFakeScheduler } from '../support/fakes/fake-scheduler';

const POLICY: AttemptPolicy = { baseMs: 100, capMs: 400, maxAttempts: 5 };

/** An operation that fails `failures` times (with `error`), then answers 'done'; it counts its calls. */
const failing = (failures: number, error: unknown = new Error('deadlock')) => {
  let calls = 0;
  const operation = async () => {
    calls += 1;
    if (calls <= failures) throw error;
    return 'done';
  };
  return { operation, calls: () => calls };
};

const setup = (policy: AttemptPolicy = POLICY) => {
  const scheduler = createFakeScheduler({ autoAdvance: true });
  const retried: RetryFailure[] = [];
  // The jitter's draw pinned at its top: each delay is the policy's ceiling.
  const options = {
    policy,
    scheduler,
    random: () => 1,
    onRetry: (failure: RetryFailure) => void retried.push(failure),
  };
  return { scheduler, retried, options };
};

describe('retry', () => {
  it('answers the first success without waiting', async () => {
    const { scheduler, options } = setup();
    const op = failing(0);
    await expect(retry(op.operation, options)).resolves.toBe('done');
    expect(op.calls()).toBe(1);
    expect(scheduler.sleeps).toEqual([]);
  });

  it("waits the policy's backoff between attempts, doubling to its cap", async () => {
    const { scheduler, options, retried } = setup();
    const op = failing(4);
    await expect(retry(op.operation, options)).resolves.toBe('done');
    expect(op.calls()).toBe(5);
    expect(scheduler.sleeps).toEqual([100, 200, 400, 400]);
    expect(retried.map((r) => [r.attempt, r.delayMs])).toEqual([
      [1, 100],
      [2, 200],
      [3, 400],
      [4, 400],
    ]);
  });

  it("draws each delay below its ceiling as the policy's jitter says", async () => {
    const half = setup();
    await retry(failing(2).operation, { ...half.options, random: () => 0 });
    expect(half.scheduler.sleeps).toEqual([50, 100]);
    const full = setup({ ...POLICY, jitter: 'full' });
    await retry(failing(2).operation, { ...full.options, random: () => 0.5 });
    expect(full.scheduler.sleeps).toEqual([50, 100]);
    const none = setup({ ...POLICY, jitter: 'none' });
    await retry(failing(2).operation, { ...none.options, random: () => 0 });
    expect(none.scheduler.sleeps).toEqual([100, 200]);
  });

  it("gives up after the policy's last attempt with that attempt's error", async () => {
    const { scheduler, options } = setup({ ...POLICY, maxAttempts: 3 });
    let calls = 0;
    const operation = async () => {
      calls += 1;
      throw new Error(`failure ${calls}`);
    };
    await expect(retry(operation, options)).rejects.toThrow('failure 3');
    expect(calls).toBe(3);
    expect(scheduler.sleeps).toEqual([100, 200]);
  });

  it('throws a failure that is not retryable at once, told which attempt failed', async () => {
    const { scheduler, options } = setup();
    const fatal = new Error('syntax error');
    const asked: [unknown, number][] = [];
    const op = failing(2, fatal);
    await expect(
      retry(op.operation, { ...options, isRetryable: (error, attempt) => (asked.push([error, attempt]), false) }),
    ).rejects.toBe(fatal);
    expect(op.calls()).toBe(1);
    expect(asked).toEqual([[fatal, 1]]);
    expect(scheduler.sleeps).toEqual([]);
  });

  it('retries only the failures it is told are retryable', async () => {
    const { options } = setup();
    const transient = new Error('deadlock');
    const fatal = new Error('duplicate key');
    let calls = 0;
    const operation = async () => {
      calls += 1;
      throw calls < 3 ? transient : fatal;
    };
    await expect(retry(operation, { ...options, isRetryable: (error) => error === transient })).rejects.toBe(fatal);
    expect(calls).toBe(3);
  });

  it('stops during a wait when its signal aborts, with the last failure and no further attempt', async () => {
    const scheduler = createFakeScheduler();
    const controller = new AbortController();
    const op = failing(Number.POSITIVE_INFINITY);
    const running = retry(op.operation, { policy: POLICY, scheduler, signal: controller.signal, random: () => 1 });
    const outcome = running.catch((error: unknown) => error);
    await scheduler.advance(100); // first wait over: the second attempt fails and waits 200 ms
    expect(op.calls()).toBe(2);
    expect(scheduler.pendingSleeps()).toBe(1);
    controller.abort();
    await expect(outcome).resolves.toEqual(new Error('deadlock'));
    await scheduler.advance(10_000);
    expect(op.calls()).toBe(2);
    expect(scheduler.pendingSleeps()).toBe(0);
  });

  it('does not wait at all once its signal has aborted', async () => {
    const { scheduler, options } = setup();
    const controller = new AbortController();
    const op = failing(3);
    const operation = async () => {
      controller.abort();
      return op.operation();
    };
    await expect(retry(operation, { ...options, signal: controller.signal })).rejects.toThrow('deadlock');
    expect(op.calls()).toBe(1);
    expect(scheduler.sleeps).toEqual([]);
  });

  it('waits with the given wait instead of sleeping, and gives up when it answers false', async () => {
    const { scheduler, options } = setup({ ...POLICY, maxAttempts: Number.POSITIVE_INFINITY });
    const waits: number[] = [];
    const op = failing(Number.POSITIVE_INFINITY);
    const wait = async (delayMs: number) => (waits.push(delayMs), waits.length < 3);
    await expect(retry(op.operation, { ...options, wait })).rejects.toThrow('deadlock');
    expect(waits).toEqual([100, 200, 400]);
    expect(op.calls()).toBe(3);
    expect(scheduler.sleeps).toEqual([]);
  });

  it('counts failures from one again after an attempt that made progress', async () => {
    const { scheduler, options, retried } = setup({ ...POLICY, maxAttempts: 3 });
    // Three failures in a row would spend the policy, but the third got somewhere before it failed.
    const script = ['fail', 'fail', 'progress', 'fail', 'ok'];
    let calls = 0;
    const operation = async (attempt: { progressed(): void }) => {
      const step = script[calls];
      calls += 1;
      if (step === 'ok') return 'done';
      if (step === 'progress') attempt.progressed();
      throw new Error(step);
    };
    await expect(retry(operation, options)).resolves.toBe('done');
    expect(calls).toBe(5);
    expect(retried.map((r) => r.attempt)).toEqual([1, 2, 1, 2]);
    expect(scheduler.sleeps).toEqual([100, 200, 100, 200]);
  });
});
