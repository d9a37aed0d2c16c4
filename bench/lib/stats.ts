export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array. */
const percentile = (sorted: readonly number[], p: number) => {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
};

export const summarize = (values: readonly number[]): Summary => {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((sum, v) => sum + v, 0) / sorted.length : Number.NaN;
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    mean,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
};

/** Rounded for JSON and tables: latencies to 0.1 ms. */
export const rounded = (summary: Summary, digits = 1): Summary =>
  Object.fromEntries(
    Object.entries(summary).map(([k, v]) => [k, k === 'count' ? v : Number(v.toFixed(digits))]),
  ) as unknown as Summary;

/** Share of wall time this process's event loop was busy between start and stop (0..1). */
export const startEventLoopMonitor = () => {
  const start = performance.eventLoopUtilization();
  return { stop: () => Number(performance.eventLoopUtilization(start).utilization.toFixed(2)) };
};

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true or the deadline passes; returns whether it did. */
export const waitFor = async (check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 250) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
};
