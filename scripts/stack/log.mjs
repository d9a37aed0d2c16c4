/**
 * Output and expected failures. Elapsed time is measured from the start of the outermost
 * operation, so a nested call (up → startKafka) keeps one clock and a long-lived importer
 * (a test runner) gets fresh ones.
 */

/** An expected failure: printed as one line (plus `detail`, e.g. a log tail), exit 1. */
export class StackError extends Error {
  constructor(message, detail) {
    super(message);
    this.name = 'StackError';
    this.detail = detail;
  }
}

let logger = (line) => console.log(line);
let clockStart = null;

/** Lets importers (tests) redirect or silence progress output. */
export function setLogger(fn) {
  logger = fn ?? (() => {});
}

const seconds = () => ((Date.now() - (clockStart ?? Date.now())) / 1000).toFixed(1);

/** A progress line: `[stack +1.2s] message`. */
export const log = (message) => logger(`[stack +${seconds()}s] ${message}`);

/** A bare line (status rows, summary table), through the same logger. */
export const print = (line) => logger(line);

export async function timed(fn) {
  const outermost = clockStart === null;
  if (outermost) clockStart = Date.now();
  try {
    return await fn();
  } finally {
    if (outermost) clockStart = null;
  }
}
