import { Redis } from 'ioredis';
import type { RelayWaker } from '../../domain/ports/relay-waker';
import { createStatusTracker, withTimeout, type Component } from '../lifecycle';
import type { Logger } from '../logger';
import { connectOrDrop, type WorkerConnection } from './create-redis';

/**
 * The relay's wake-up signal: a sorted set that holds at most one member. A writer's commit adds
 * it (`ZADD`, idempotent, so a burst of commits leaves one token); a relay process blocked in
 * `BZPOPMIN` takes it and drains. Exactly one relay process takes each token, and a token added
 * while every relay is busy draining waits in Redis, so a commit landing during a drain's final
 * empty claim is picked up as soon as a drain ends. Unlike the deduplicated BullMQ job this
 * replaces, a token can start a drain in one process while another process's drain runs; the
 * relay worker covers what that changes (drainAfterWake in jobs/relay.worker.ts).
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
    ...deps.connection,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  redis.on('error', (error: Error) => status.set('unhealthy', error.message));
  redis.on('ready', () => status.set('ready'));
  let started = false;
  return {
    name: 'relay-waker',
    async start() {
      status.set('starting');
      await connectOrDrop('relay waker', redis);
      started = true;
      status.set('ready');
    },
    async stop() {
      started = false;
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
        // Not started (e.g. a CLI that found Redis down): nothing to send, and a command would make ioredis connect on its own.
        if (!started) throw new Error('relay waker is not started');
        await redis.zadd(key, 0, TOKEN);
      },
      { lingerMs: WAKE_LINGER_MS },
    ),
  };
};

export interface RelayWakeListener {
  /** Starts taking tokens; each one runs `onWake` to its end before the next is taken. */
  start(onWake: () => Promise<unknown>): Promise<void>;
  /** Stops taking tokens and waits for a running `onWake` to finish; never waits for Redis. */
  stop(): Promise<void>;
  listening(): boolean;
}

/**
 * A linger pays only in a trickle, so a wake-up lingers only when the relay waited for its token,
 * but not for long. A token that was already there when the listener asked (commits came during
 * the previous drain) means the relay is busy and its claims already carry every commit that came
 * meanwhile: lingering would only add latency. A token that came after more than
 * STREAM_GAP_LINGERS lingers means commits are sparse: a linger would collect, on average, well
 * under one more. In between (at 100 commits a second in the bench, about 70 % of the rounds
 * lingered), one linger shares a relay round and a consumer transaction among several commits.
 */
const STREAM_GAP_LINGERS = 2;
/** A BZPOPMIN answered within this time found its token waiting (a round trip to Redis, not a wait). */
const WAITING_TOKEN_MS = 1;

/** How long a token the listener waited `waitedMs` for waits before its drain. */
export const lingerFor = (lingerMs: number, waitedMs: number) =>
  lingerMs > 0 && waitedMs > WAITING_TOKEN_MS && waitedMs <= STREAM_GAP_LINGERS * lingerMs ? lingerMs : 0;

/** How long one `BZPOPMIN` blocks before it is asked again: an idle relay sends one command per this many seconds. */
const BLOCK_SECONDS = 5;
const RETRY_CAP_MS = 5_000;

/**
 * Waits that `stop()` can cut short: a command parked on a lost connection may never settle.
 * Each wait registers its own release and removes it when it settles (racing every wait against
 * one long-lived promise would keep a reaction per wait alive until the stop, a leak).
 */
const createStopSwitch = () => {
  const releases = new Set<() => void>();
  let off = false;
  return {
    unlessStopped<T>(work: Promise<T>): Promise<T | undefined> {
      if (off) return Promise.resolve(undefined);
      return new Promise<T | undefined>((resolve, reject) => {
        const release = () => resolve(undefined);
        releases.add(release);
        work.then(
          (value) => (releases.delete(release), resolve(value)),
          (error: unknown) => (releases.delete(release), reject(error)),
        );
      });
    },
    stop() {
      off = true;
      for (const release of releases) release();
      releases.clear();
    },
    reset() {
      off = false;
    },
  };
};

/** The relay's side: one blocking connection per relay process. */
export const createRedisRelayWakeListener = (deps: {
  connection: WorkerConnection;
  prefix: string;
  logger: Logger;
  blockSeconds?: number;
  /** Waits this long after taking a token in a trickle, before the drain (RELAY_WAKE_LINGER_MS; see lingerFor). */
  lingerMs?: number;
  /** A monotonic clock in ms, for how long each token was waited for (default performance.now). */
  now?: () => number;
}): RelayWakeListener => {
  const lingerMs = deps.lingerMs ?? 0;
  const now = deps.now ?? (() => performance.now());
  const blockSeconds = deps.blockSeconds ?? BLOCK_SECONDS;
  const key = relayWakeKey(deps.prefix);
  let redis: Redis | undefined;
  let loop: Promise<void> | undefined;
  let running = false;
  let healthy = false;
  const stopSwitch = createStopSwitch();
  const unlessStopped = <T>(work: Promise<T>) => stopSwitch.unlessStopped(work);
  const pause = (ms: number) => unlessStopped(new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
  const listen = async (connection: Redis, onWake: () => Promise<unknown>) => {
    let failures = 0;
    while (running) {
      let popped: unknown[] | null | undefined;
      const askedAt = now();
      try {
        popped = await unlessStopped(connection.bzpopmin(key, blockSeconds));
        failures = 0;
        healthy = connection.status === 'ready';
      } catch (error) {
        if (!running) return;
        // Refused while the connection is down (no offline queue), or a lasting error such as NOPERM.
        healthy = false;
        failures += 1;
        if (failures === 1) deps.logger.warn({ err: error }, 'relay wake-ups failed; the scheduled scan still runs');
        await pause(Math.min(RETRY_CAP_MS, 100 * 2 ** failures));
        continue;
      }
      if (!running || !popped || popped.length === 0) continue;
      const linger = lingerFor(lingerMs, now() - askedAt);
      if (linger > 0) {
        await pause(linger);
        // The commits of the linger join this drain: the tokens they left are spent now, before the
        // claim, so they cost no second, empty drain. A commit after this adds its token again.
        await unlessStopped(
          withTimeout('relay wake-up token removal', 1000, connection.zrem(key, TOKEN)).catch(() => undefined),
        );
        if (!running) return;
      }
      // A drain that fails is logged like a failed job; the token is spent, and the scan retries.
      await onWake().catch((error: unknown) => deps.logger.error({ err: error }, 'relay wake-up drain failed'));
    }
  };
  return {
    async start(onWake) {
      // While the connection is down, commands fail at once instead of queueing, and the one in
      // flight when it dropped fails (no retry across a reconnect) instead of being sent again
      // after it: a queued or resent BZPOPMIN would take a token for a promise that has already
      // moved on, and lose it (without a retry limit ioredis would hold that one for ever). A
      // half-open connection is noticed by the socket staying quiet well past the block time
      // (Linux keepalive would take hours).
      const connection = new Redis({
        ...deps.connection,
        maxRetriesPerRequest: 0,
        lazyConnect: true,
        enableOfflineQueue: false,
        autoResendUnfulfilledCommands: false,
        socketTimeout: blockSeconds * 1000 + 5000,
      });
      connection.on('error', () => undefined);
      connection.on('ready', () => {
        if (!healthy && running) deps.logger.info('relay wake-ups listening again');
        healthy = true;
      });
      connection.on('close', () => {
        if (healthy && running) deps.logger.warn('relay wake-up connection lost; the scheduled scan still runs');
        healthy = false;
      });
      await connectOrDrop('relay wake listener', connection);
      redis = connection;
      running = true;
      healthy = true;
      stopSwitch.reset();
      loop = listen(connection, onWake);
    },
    async stop() {
      running = false;
      // Ends a pending BZPOPMIN or pause at once; a drain in progress runs to its end (its claim is fenced either way).
      stopSwitch.stop();
      redis?.disconnect();
      await loop;
      redis = undefined;
      loop = undefined;
    },
    listening: () => running && healthy,
  };
};
