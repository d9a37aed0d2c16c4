/**
 * /readyz is public and unauthenticated, and one check costs a database query, a Redis ping, a
 * Kafka metadata request and queue counts. Within `ttlMs` of a check every caller gets that
 * check's whole result (the report as one value, whatever reasons it carries), and callers
 * arriving while one runs share it: however often /readyz is polled, the dependencies see at
 * most one check per `ttlMs`.
 */
export const cachedReadiness = <T>(check: () => Promise<T>, ttlMs: number, now: () => number = Date.now) => {
  let cached: { at: number; result: Promise<T> } | undefined;
  return (): Promise<T> => {
    const at = now();
    if (cached && at - cached.at < ttlMs) return cached.result;
    const result = check();
    cached = { at, result };
    // A failed check is not remembered: the next caller checks again.
    result.catch(() => {
      if (cached?.result === result) cached = undefined;
    });
    return result;
  };
};
