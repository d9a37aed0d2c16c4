import { sleep, summarize } from './stats';

export interface OpenLoopResult {
  offered: number;
  completed: number;
  failed: number;
  /** Arrivals dropped because maxInFlight calls were already running (the system fell behind). */
  shed: number;
  durationMs: number;
  achievedPerSec: number;
  callMs: ReturnType<typeof summarize>;
  firstError?: string;
}

/**
 * Offered load: arrivals on a fixed schedule (rate per second) whether or not earlier calls
 * finished, so a slow system shows up as latency, not as a lower send rate.
 */
export const openLoop = async (input: {
  rate: number;
  durationMs: number;
  fire: (index: number) => Promise<unknown>;
  maxInFlight?: number;
  onTick?: (state: { offered: number; completed: number; inFlight: number }) => void;
}): Promise<OpenLoopResult> => {
  const maxInFlight = input.maxInFlight ?? 2000;
  const durations: number[] = [];
  const running = new Set<Promise<unknown>>();
  let offered = 0;
  let failed = 0;
  let shed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  for (let elapsed = 0; elapsed < input.durationMs; elapsed = performance.now() - started) {
    const due = Math.floor((elapsed / 1000) * input.rate);
    for (; offered < due; offered += 1) {
      if (running.size >= maxInFlight) {
        shed += 1;
        continue;
      }
      const t0 = performance.now();
      const call = input.fire(offered).then(
        () => void durations.push(performance.now() - t0),
        (error: unknown) => {
          failed += 1;
          firstError ??= (error as Error).message;
        },
      );
      running.add(call);
      void call.finally(() => running.delete(call));
    }
    input.onTick?.({ offered, completed: durations.length, inFlight: running.size });
    await sleep(2);
  }
  const durationMs = performance.now() - started;
  await Promise.all(running);
  return {
    offered,
    completed: durations.length,
    failed,
    shed,
    durationMs,
    achievedPerSec: durations.length / (durationMs / 1000),
    callMs: summarize(durations),
    ...(firstError ? { firstError } : {}),
  };
};
