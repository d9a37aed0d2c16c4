/**
 * Polls until `check` stops throwing, then returns its value; on timeout rethrows
 * the last assertion error so the failure says what was still wrong.
 */
export const eventually = async <T>(
  check: () => T | Promise<T>,
  { timeoutMs = 15_000, intervalMs = 50 } = {},
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
  throw lastError ?? new Error(`eventually: timed out after ${timeoutMs} ms`);
};

/** A promise plus its resolver, for awaiting an event instead of sleeping. */
export const deferred = <T = void>() => {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
