import type { Clock } from './clock';

/**
 * Time and waiting as a dependency: production waits on the runtime's timers, tests on a fake
 * that moves only when told, so no test sleeps through a backoff or a poll.
 */
export interface Scheduler extends Clock {
  /** Resolves after `ms`; rejects with the signal's reason once it is aborted (at once when it already is). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `task` every `ms` until the returned function is called; never keeps the process alive on its own. */
  every(ms: number, task: () => void): () => void;
}
