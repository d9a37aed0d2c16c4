/**
 * Exponential backoff with jitter; base and cap come from config. How many attempts a row gets is the row's own `maxAttempts`.
 * `jitter` says how a delay is drawn below its ceiling: 'half' (the default) uniform in [ceiling/2, ceiling],
 * 'full' uniform in [0, ceiling] (many contenders for one lock spread widest), 'none' the ceiling itself.
 */
export interface RetryPolicy {
  readonly baseMs: number;
  readonly capMs: number;
  readonly jitter?: 'half' | 'full' | 'none';
}

/** A policy for an operation retried in place: attempts in all, the first included (Infinity: until aborted or not retryable). */
export interface AttemptPolicy extends RetryPolicy {
  readonly maxAttempts: number;
}

export type FailureDecision =
  { kind: 'retry'; attempts: number; nextAttemptAt: Date } | { kind: 'dead'; attempts: number };

/**
 * Delay before attempt `attempt + 1`: the ceiling doubles per attempt up to the cap, and the
 * delay is drawn below it as `jitter` says. The default lower half keeps retries from
 * collapsing to zero; the upper jitter spreads a thundering herd.
 */
export const backoffDelayMs = (policy: RetryPolicy, attempt: number, random: () => number = Math.random): number => {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  switch (policy.jitter ?? 'half') {
    case 'none':
      return ceiling;
    case 'full':
      return Math.round(random() * ceiling);
    case 'half':
      return Math.round(ceiling / 2 + random() * (ceiling / 2));
  }
};

/** After a failed attempt: retry later, or give up once the attempts are spent (or it never can succeed). */
export const decideFailure = (
  policy: RetryPolicy,
  input: { attemptsSoFar: number; maxAttempts: number; permanent: boolean; now: Date },
  random: () => number = Math.random,
): FailureDecision => {
  const attempts = input.attemptsSoFar + 1;
  if (input.permanent || attempts >= input.maxAttempts) return { kind: 'dead', attempts };
  return {
    kind: 'retry',
    attempts,
    nextAttemptAt: new Date(input.now.getTime() + backoffDelayMs(policy, attempts, random)),
  };
};
