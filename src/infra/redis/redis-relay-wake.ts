import { Redis } from 'ioredis';
import type { RelayWaker } from '../../domain/ports/relay-waker';
import { createStatusTracker, withTimeout, type Component } from '../lifecycle';
import type { Logger } from '../logger';
import type { WorkerConnection } from './create-redis';

/**
 * The relay's wake-up signal: a sorted set that holds at most one member. A writer's commit adds
 * it (`ZADD`, idempotent, so a burst of commits leaves one token); a relay process blocked in
 * `BZPOPMIN` takes it and drains. Exactly one relay process takes each token, and a token added
 * while every relay is busy draining waits in Redis, so a commit landing during a drain's final
 * empty claim is picked up as soon as that drain ends (what BullMQ's `keepLastIfActive`
 * deduplication gave the wake-up job this replaces).
 *
 * Why not a BullMQ job per wake-up, as before: at a trickle nearly every message is its own relay
 * round, and a job's add, move to active and move to completed are Lua scripts of many commands
 * on three connections: BullMQ + ioredis were 22 % of the relay + consumer's CPU at 100 msg/s
 * (`bench/experiments/trickle-cost.ts --profile`). One command on each side does the same job.
 * BullMQ keeps what it is good at: the scheduled scan (which also covers a lost token), the
 * sweeper, retention and the delayed follow-ups.
 */
export const relayWakeKey = (prefix: string) => `${prefix}:relay-wake`;
const TOKEN = 'wake';

/**
 * At most one call of `run` in flight; calls made meanwhile share one more run after it, which
 * starts after they were made. Every commit is thus followed by a wake-up that started after
 * it, while a writer doing 500 commits/s does not send 500 wake-ups a second. With a linger,
 * a call that finds nothing in flight waits `lingerMs` first, so a burst of commits shares one
 * wake-up (and the relay one claim) instead of the first commit waking it alone.
 */
export const coalesce = (run: () => Promise<void>, options: { lingerMs?: number } = {}): (() => Promise<void>) => {
  const lingerMs = options.lingerMs ?? 0;
  let current: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const start = (): Promise<void> => {
    const p = run().finally(() => {
      if (current === p) current = undefined;
    });
    current = p;
    return p;
  };
  const after = (previous: Promise<unknown>, delayMs: number) =>
    (next ??= previous
      .catch(() => undefined)
      .then(() => (delayMs > 0 ? new Promise<void>((resolve) => setTimeout(resolve, delayMs)) : undefined))
      .then(() => {
        next = undefined;
        return start();
      }));
  return () => {
    if (current) return after(current, 0);
    if (lingerMs > 0) return after(Promise.resolve(), lingerMs);
    return next ?? start();
  };
};

/** How long a wake-up waits for more commits before it is sent: far below the latency goal (p50 15 ms). */
const WAKE_LINGER_MS = 2;

const withoutBlocking = ({
  maxRetriesPerRequest: _blocking,
  ...options
}: WorkerConnection): Omit<WorkerConnection, 'maxRetriesPerRequest'> => options;

/** The writers' side: adds the token after a commit (coalesced per process), failing fast when Redis is away. */
export const createRedisRelayWaker = (deps: {
  connection: WorkerConnection;
  prefix: string;
  logger: Logger;
}): RelayWaker & Component => {
  const status = createStatusTracker('relay-waker', deps.logger);
  const key = relayWakeKey(deps.prefix);
  // Fail fast: a wake-up that cannot reach Redis is dropped (the scan covers it), not queued in memory.
  const redis = new Redis({
    ...withoutBlocking(deps.connection),
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  redis.on('error', (error: Error) => status.set('unhealthy', error.message));
  redis.on('ready', () => status.set('ready'));
  return {
    name: 'relay-waker',
    async start() {
      status.set('starting');
      await withTimeout('relay waker connect', 5000, redis.connect());
      status.set('ready');
    },
    async stop() {
      await redis.quit().catch(() => redis.disconnect());
      status.set('stopped');
    },
    async ready() {
      if (redis.status !== 'ready') return false;
      return withTimeout('relay waker ping', 1000, redis.ping()).then(
        (answer) => answer === 'PONG',
        () => false,
      );
    },
    wake: coalesce(
      async () => {
        await redis.zadd(key, 0, TOKEN);
      },
      { lingerMs: WAKE_LINGER_MS },
    ),
  };
};

export interface RelayWakeListener {
  /** Starts taking tokens; each one runs `onWake` to its end before the next is taken. */
  start(onWake: () => Promise<unknown>): Promise<void>;
  /** Stops taking tokens and waits for a running `onWake` to finish. */
  stop(): Promise<void>;
  listening(): boolean;
}

/**
 * How long one `BZPOPMIN` blocks before it is asked again: an idle relay sends one command per
 * this many seconds, and a half-open connection is noticed within it.
 */
const BLOCK_SECONDS = 5;
const RETRY_CAP_MS = 5_000;

/** The relay's side: one blocking connection per relay process. */
export const createRedisRelayWakeListener = (deps: {
  connection: WorkerConnection;
  prefix: string;
  logger: Logger;
  blockSeconds?: number;
  /** Waits this long after taking a token before the drain (RELAY_WAKE_LINGER_MS). */
  lingerMs?: number;
}): RelayWakeListener => {
  const lingerMs = deps.lingerMs ?? 0;
  const key = relayWakeKey(deps.prefix);
  let redis: Redis | undefined;
  let loop: Promise<void> | undefined;
  let running = false;
  let healthy = false;
  let wakeRetry: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeRetry = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const listen = async (connection: Redis, onWake: () => Promise<unknown>) => {
    let failures = 0;
    while (running) {
      let popped: unknown[] | null;
      try {
        popped = await connection.bzpopmin(key, deps.blockSeconds ?? BLOCK_SECONDS);
        failures = 0;
        healthy = true;
      } catch (error) {
        if (!running) return;
        healthy = false;
        failures += 1;
        if (failures === 1)
          deps.logger.warn({ err: error }, 'relay wake-ups unavailable; the scheduled scan still runs');
        await pause(Math.min(RETRY_CAP_MS, 100 * 2 ** failures));
        continue;
      }
      if (!popped || popped.length === 0) continue;
      if (lingerMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, lingerMs));
        // The commits of the linger join this drain: the tokens they left are spent now, before the
        // claim, so they cost no second, empty drain. A commit after this adds its token again.
        await connection.zrem(key, TOKEN).catch(() => undefined);
      }
      // A drain that fails is logged like a failed job; the token is spent, and the scan retries.
      await onWake().catch((error: unknown) => deps.logger.error({ err: error }, 'relay wake-up drain failed'));
    }
  };
  return {
    async start(onWake) {
      running = true;
      const connection = new Redis({ ...deps.connection, lazyConnect: true });
      redis = connection;
      connection.on('error', () => (healthy = false));
      await withTimeout('relay wake listener connect', 5000, connection.connect());
      healthy = true;
      loop = listen(connection, onWake);
    },
    async stop() {
      running = false;
      wakeRetry?.();
      // Ends a pending BZPOPMIN at once; a drain in progress runs to its end (its claim is fenced either way).
      redis?.disconnect();
      await loop;
      redis = undefined;
      loop = undefined;
    },
    listening: () => running && healthy && redis?.status === 'ready',
  };
};
