import type { RelayWaker } from '../../../src/domain/ports/relay-waker';

export interface CountingWaker extends RelayWaker {
  readonly count: number;
  /** Makes every later wake() reject with `error` (after counting it). */
  failWith(error: unknown): void;
  /** Runs at each wake-up, e.g. to snapshot what was committed by then. */
  onWake(listener: () => void): void;
}

export const createCountingWaker = (): CountingWaker => {
  let count = 0;
  let failure: { error: unknown } | undefined;
  const listeners: (() => void)[] = [];
  return {
    get count() {
      return count;
    },
    failWith(error) {
      failure = { error };
    },
    onWake(listener) {
      listeners.push(listener);
    },
    async wake() {
      count += 1;
      for (const listener of listeners) listener();
      if (failure) throw failure.error;
    },
  };
};
