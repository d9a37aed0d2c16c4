/** Progress lines during long runs: one every ~2 s while a phase is running. */
export interface Progress {
  log(line: string): void;
  /** Prints `describe()` every intervalMs until the returned stop() is called. */
  every(label: string, describe: () => string, intervalMs?: number): () => void;
  /** Runs `work` with a ticker around it. */
  during<T>(label: string, describe: () => string, work: () => Promise<T>): Promise<T>;
}

export const createProgress = (
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Progress => {
  const every = (label: string, describe: () => string, intervalMs = 2000) => {
    const started = Date.now();
    const timer = setInterval(
      () => write(`    … ${label} +${((Date.now() - started) / 1000).toFixed(0)}s: ${describe()}`),
      intervalMs,
    );
    return () => clearInterval(timer);
  };
  return {
    log: (line) => write(`  ${line}`),
    every,
    async during(label, describe, work) {
      const stop = every(label, describe);
      try {
        return await work();
      } finally {
        stop();
      }
    },
  };
};
