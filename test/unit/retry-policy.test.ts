import { backoffDelayMs, decideFailure, type RetryPolicy } from '../../src/domain/retry-policy';

const policy: RetryPolicy = { baseMs: 100, capMs: 1_000 };
const highest = () => 1;
const lowest = () => 0;
const now = new Date('2030-01-01T00:00:00.000Z');

describe('backoffDelayMs', () => {
  it('doubles the ceiling with every attempt, starting at the base', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelayMs(policy, attempt, highest))).toEqual([100, 200, 400, 800]);
  });

  it('never waits longer than the cap', () => {
    expect([5, 6, 20, 2_000].map((attempt) => backoffDelayMs(policy, attempt, highest))).toEqual([
      1_000, 1_000, 1_000, 1_000,
    ]);
  });

  it('waits half the ceiling when the jitter draws 0', () => {
    expect([1, 3, 10].map((attempt) => backoffDelayMs(policy, attempt, lowest))).toEqual([50, 200, 500]);
  });

  it('waits the full ceiling when the jitter draws 1', () => {
    expect(backoffDelayMs(policy, 3, highest)).toBe(400);
  });

  it('stays within [ceiling/2, ceiling] for any draw in between', () => {
    for (const draw of [0.01, 0.25, 0.5, 0.75, 0.99]) {
      const delay = backoffDelayMs(policy, 2, () => draw);
      expect(delay).toBeGreaterThanOrEqual(100);
      expect(delay).toBeLessThanOrEqual(200);
    }
  });

  it('treats attempt 0 like the first attempt', () => {
    expect(backoffDelayMs(policy, 0, highest)).toBe(100);
  });

  it('draws in [0, ceiling] with full jitter', () => {
    const full: RetryPolicy = { ...policy, jitter: 'full' };
    expect([lowest, () => 0.5, highest].map((draw) => backoffDelayMs(full, 3, draw))).toEqual([0, 200, 400]);
  });

  it('waits exactly the ceiling without jitter, whatever the draw', () => {
    const none: RetryPolicy = { ...policy, jitter: 'none' };
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelayMs(none, attempt, lowest))).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
  });
});

describe('decideFailure', () => {
  const input = { maxAttempts: 4, permanent: false, now };

  it('retries the first failure after the first backoff step, counting one attempt', () => {
    expect(decideFailure(policy, { ...input, attemptsSoFar: 0 }, highest)).toEqual({
      kind: 'retry',
      attempts: 1,
      nextAttemptAt: new Date(now.getTime() + 100),
    });
  });

  it('backs off further as attempts accumulate', () => {
    const decision = decideFailure(policy, { ...input, attemptsSoFar: 2 }, lowest);
    expect(decision).toEqual({ kind: 'retry', attempts: 3, nextAttemptAt: new Date(now.getTime() + 200) });
  });

  it('gives up once the attempts reach maxAttempts', () => {
    expect(decideFailure(policy, { ...input, attemptsSoFar: 3 }, highest)).toEqual({ kind: 'dead', attempts: 4 });
  });

  it('gives up at once on a permanent failure, counting that attempt', () => {
    expect(decideFailure(policy, { ...input, attemptsSoFar: 0, permanent: true }, highest)).toEqual({
      kind: 'dead',
      attempts: 1,
    });
  });

  it("decides by the row's own maxAttempts", () => {
    expect(decideFailure(policy, { ...input, attemptsSoFar: 0, maxAttempts: 1 }, highest)).toEqual({
      kind: 'dead',
      attempts: 1,
    });
  });
});
