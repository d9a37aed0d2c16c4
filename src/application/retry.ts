import type { Scheduler } from '../domain/ports/scheduler';
import { backoffDelayMs, type AttemptPolicy } from '../domain/retry-policy';

/** What an operation is told about the attempt it runs. */
export interface Attempt {
  /** 1-based: this attempt's place among the failures since the last progress. */
  readonly number: number;
  /**
   * This attempt got somewhere (a stream delivered an event): should it fail, it counts as the
   * first failure again, so a long stream survives any number of short outages.
   */
  progressed(): void;
}

/** A failure about to be retried: the error, the attempt that failed (1-based) and the wait before the next. */
export interface RetryFailure {
  readonly error: unknown;
  readonly attempt: number;
  readonly delayMs: number;
}

export interface RetryOptions {
  /** Attempts in all, and the backoff between them (drawn by `backoffDelayMs`). */
  readonly policy: AttemptPolicy;
  readonly scheduler: Scheduler;
  /** Whether a failure is worth another attempt (default: every failure). */
  readonly isRetryable?: (error: unknown, attempt: number) => boolean;
  /** Told before each wait (a log line, a notice to the user). */
  readonly onRetry?: (failure: RetryFailure) => void;
  /** Aborting stops the retries, not the attempt in hand (pass the signal to the operation for that). */
  readonly signal?: AbortSignal;
  /** Waits out one delay instead of `scheduler.sleep` (e.g. heartbeating meanwhile); false gives up. */
  readonly wait?: (delayMs: number) => Promise<boolean>;
  /** The jitter's draw (tests pin it). */
  readonly random?: () => number;
}

/**
 * Runs `operation` until it succeeds, retrying failures with the policy's backoff. It gives up,
 * throwing the last failure, when that failure is not retryable, when the policy's last attempt
 * failed, or when the signal aborts (before or during a wait) or `wait` answers false: the
 * caller always gets the error that stopped it, and checks its signal to tell an abort apart.
 */
export const retry = async <T>(operation: (attempt: Attempt) => Promise<T>, options: RetryOptions): Promise<T> => {
  const { policy, scheduler, signal, isRetryable = () => true } = options;
  const sleep = (delayMs: number) =>
    scheduler.sleep(delayMs, signal).then(
      () => true,
      () => false,
    );
  let failures = 0;
  let latest = 0;
  for (;;) {
    const mine = (latest += 1);
    // Only the attempt in hand may reset the count: a late callback of an earlier one must not.
    const attempt: Attempt = { number: failures + 1, progressed: () => void (mine === latest && (failures = 0)) };
    try {
      return await operation(attempt);
    } catch (error) {
      failures += 1;
      if (!isRetryable(error, failures) || failures >= policy.maxAttempts || signal?.aborted) throw error;
      const delayMs = backoffDelayMs(policy, failures, options.random);
      options.onRetry?.({ error, attempt: failures, delayMs });
      const waited = await (options.wait ?? sleep)(delayMs);
      if (!waited || signal?.aborted) throw error;
    }
  }
};
