/**
 * Cleanup in reverse order of creation. Every disposer runs even when an earlier one fails,
 * and each is bounded in time so a hung client cannot keep the benchmark from exiting.
 */
export interface Scope {
  defer(name: string, dispose: () => Promise<unknown> | unknown): void;
  close(): Promise<string[]>;
}

const DISPOSE_TIMEOUT_MS = 20_000;

const bounded = (name: string, work: Promise<unknown>) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name}: cleanup timed out after ${DISPOSE_TIMEOUT_MS} ms`)),
      DISPOSE_TIMEOUT_MS,
    );
    work.then(
      () => (clearTimeout(timer), resolve()),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });

export const createScope = (): Scope => {
  const disposers: { name: string; dispose: () => Promise<unknown> | unknown }[] = [];
  return {
    defer: (name, dispose) => void disposers.push({ name, dispose }),
    async close() {
      const failures: string[] = [];
      for (let next = disposers.pop(); next; next = disposers.pop()) {
        const { name, dispose } = next;
        try {
          await bounded(name, Promise.resolve().then(dispose));
        } catch (error) {
          failures.push(`${name}: ${(error as Error).message}`);
        }
      }
      return failures;
    },
  };
};
