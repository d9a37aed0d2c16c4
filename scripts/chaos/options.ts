import { parseArgs } from 'node:util';

export interface ChaosOptions {
  readonly quick: boolean;
  /** Messages to write in total (API sends count twice: the user message and its reply). */
  readonly messages: number;
  readonly durationMs: number;
  readonly seed: number;
  /** The Redis database index the run owns (FLUSHDB'd before, during and after); unset: the first one no other run holds. */
  readonly redisDb: number | undefined;
}

export const USAGE = 'usage: npm run chaos -- [--quick] [--messages N] [--duration S] [--seed N] [--redis-db N]';

const positiveInt = (name: string, raw: string | undefined, fallback: number, min = 1) => {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
};

/**
 * Quick: 2,000 messages planned over 60 s, every fault kind once (traffic goes on while faults
 * run, ~3 minutes in all). Default: 20,000 over 600 s, room for the 6-minute broker outage.
 */
export const parseOptions = (argv: readonly string[]): ChaosOptions => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      messages: { type: 'string' },
      duration: { type: 'string' },
      seed: { type: 'string' },
      'redis-db': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const quick = values.quick ?? false;
  const redisDb = values['redis-db'] === undefined ? undefined : positiveInt('redis-db', values['redis-db'], 11);
  if (redisDb !== undefined && redisDb > 15)
    throw new Error('--redis-db must be 1..15 (database 0 is shared and never flushed)');
  return {
    quick,
    messages: positiveInt('messages', values.messages, quick ? 2_000 : 20_000, 50),
    durationMs: positiveInt('duration', values.duration, quick ? 60 : 600, 10) * 1000,
    seed: positiveInt('seed', values.seed, Math.floor(Math.random() * 2 ** 31), 0),
    redisDb,
  };
};
