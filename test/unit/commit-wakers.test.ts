import { createCommitWakers } from '../../src/infra/db/outbox/commit-wakers';
import { createRecordingLogger } from '../support/fakes/recording-logger';

/** Lets the wake-ups' rejections reach their handlers. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('relay wake-ups after an outbox commit', () => {
  it('counts and logs a failed wake-up without failing or waiting on the commit', async () => {
    const logger = createRecordingLogger();
    const wakers = createCommitWakers(logger);
    let failures = 0;
    wakers.add({ wake: () => Promise.reject(new Error('redis down')) }, () => (failures += 1));
    expect(() => wakers.wakeAll()).not.toThrow();
    await settle();
    expect(failures).toBe(1);
    expect(logger.at('warn').map((entry) => entry.message)).toEqual([
      'relay wake-up failed; the scheduled scan will publish',
    ]);
  });

  it('counts nothing when the wake-up succeeds, and calls a waker registered twice once', async () => {
    const logger = createRecordingLogger();
    const wakers = createCommitWakers(logger);
    let wakes = 0;
    let failures = 0;
    const waker = { wake: async () => void (wakes += 1) };
    wakers.add(waker, () => (failures += 1));
    wakers.add(waker, () => (failures += 1));
    wakers.wakeAll();
    await settle();
    expect(wakes).toBe(1);
    expect(failures).toBe(0);
    expect(logger.at('warn')).toEqual([]);
  });
});
