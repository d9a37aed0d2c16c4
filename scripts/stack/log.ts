/**
 * Output and expected failures. Elapsed time is measured from the start of the outermost
 * operation, so a nested call (up → startKafka) keeps one clock and a long-lived importer
 * (a test runner) gets fresh ones.
 */

/** An expected failure: printed as one line (plus `detail`, e.g. a log tail), exit 1. */
export class StackError extends Error {
  readonly detail: string | undefined;

  constructor(message: string, detail?: string) {
    super(message);
    this.name = 'StackError';
    this.detail = detail;
  }
}

let logger: (line: string) => void = (line) => console.log(line);
let clockStart: number | null = null;

/** Lets importers (tests) redirect or silence progress output. */
export function setLogger(fn: ((line: string) => void) | null | undefined) {
  logger = fn ?? (() => {});
}

const seconds = () => ((Date.now() - (clockStart ?? Date.now())) / 1000).toFixed(1);

/** A progress line: `[stack +1.2s] message`. */
export const log = (message: string) => logger(`[stack +${seconds()}s] ${message}`);

/** A bare line (status rows, summary table), through the same logger. */
export const print = (line: string) => logger(line);

export async function timed<T>(fn: () => Promise<T>): Promise<T> {
  const outermost = clockStart === null;
  if (outermost) clockStart = Date.now();
  try {
    return await fn();
  } finally {
    if (outermost) clockStart = null;
  }
}
