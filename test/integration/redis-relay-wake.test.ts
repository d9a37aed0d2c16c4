import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/infra/logger';
import { createRedis } from '../../src/infra/redis/create-redis';
import {
  createRedisRelayWakeListener,
  createRedisRelayWaker,
  relayWakeKey,
  type RelayWakeListener,
} from '../../src/infra/redis/redis-relay-wake';
import { createTcpProxy } from '../../tools/kit/tcp-proxy';
import { deferred, eventually } from '../support/eventually';
import { testConfig } from '../support/test-config';

const logger = createLogger({ level: 'silent' });

/** A drain the test finishes by hand, counting how many began. */
const controlledDrains = () => {
  const pending: (() => void)[] = [];
  let started = 0;
  return {
    onWake: () =>
      new Promise<void>((resolve) => {
        started += 1;
        pending.push(resolve);
      }),
    get started() {
      return started;
    },
    finishAll: () => pending.splice(0).forEach((finish) => finish()),
  };
};

describe('relay wake-ups through Redis (BZPOPMIN on a one-member set)', () => {
  const config = testConfig();
  const redis = createRedis(config.redis, logger);
  // A prefix per test: listeners of one test never take another's tokens.
  let prefix: string;
  const started: { stop(): Promise<void> }[] = [];

  const aWaker = async () => {
    const waker = createRedisRelayWaker({ connection: redis.workerConnection(), prefix, logger });
    await waker.start();
    started.push(waker);
    return waker;
  };
  const aListener = async (
    onWake: () => Promise<unknown>,
    lingerMs = 0,
    now?: () => number,
  ): Promise<RelayWakeListener> => {
    const listener = createRedisRelayWakeListener({
      connection: redis.workerConnection(),
      prefix,
      logger,
      lingerMs,
      now,
    });
    await listener.start(onWake);
    started.push(listener);
    return listener;
  };

  beforeAll(() => redis.start());
  beforeEach(() => {
    prefix = `${config.redis.prefix}-wake-${randomUUID()}`;
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((component) => component.stop()));
    await redis.client().del(relayWakeKey(prefix));
  });
  afterAll(() => redis.stop());

  it('runs the relay once per wake-up, and a burst of wake-ups during a drain leaves exactly one more', async () => {
    const drains = controlledDrains();
    await aListener(drains.onWake);
    const waker = await aWaker();

    await waker.wake();
    await eventually(() => expect(drains.started).toBe(1));
    // Commits landing during the drain: one token waits, however many wake-ups were sent.
    await Promise.all([waker.wake(), waker.wake(), waker.wake()]);
    await expect(redis.client().zcard(relayWakeKey(prefix))).resolves.toBe(1);
    drains.finishAll();
    await eventually(() => expect(drains.started).toBe(2));
    drains.finishAll();
    await expect(redis.client().zcard(relayWakeKey(prefix))).resolves.toBe(0);
    expect(drains.started).toBe(2);
  });

  it('gives each token to one relay process only', async () => {
    const first = controlledDrains();
    const second = controlledDrains();
    await aListener(first.onWake);
    await aListener(second.onWake);
    const waker = await aWaker();

    await waker.wake();
    await eventually(() => expect(first.started + second.started).toBe(1));
    // The busy one cannot take the next token; the idle one does.
    await waker.wake();
    await eventually(() => expect([first.started, second.started]).toEqual([1, 1]));
    await expect(redis.client().zcard(relayWakeKey(prefix))).resolves.toBe(0);
    first.finishAll();
    second.finishAll();
  });

  it('keeps a token added while no relay listens, for the first one that starts', async () => {
    const waker = await aWaker();
    await waker.wake();
    const woke = deferred();
    await aListener(async () => woke.resolve());
    await expect(woke.promise).resolves.toBeUndefined();
  });

  it('stops while blocked without waiting for the block to end', async () => {
    const listener = createRedisRelayWakeListener({
      connection: redis.workerConnection(),
      prefix,
      logger,
      blockSeconds: 60,
    });
    await listener.start(async () => undefined);
    const startedAt = Date.now();
    await listener.stop();
    // Far below the 60 s the BZPOPMIN would block: the stop did not wait for Redis.
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(listener.listening()).toBe(false);
  });

  it('waits for a drain in progress when it stops', async () => {
    const drains = controlledDrains();
    const listener = createRedisRelayWakeListener({ connection: redis.workerConnection(), prefix, logger });
    await listener.start(drains.onWake);
    expect(listener.listening()).toBe(true);
    const waker = await aWaker();
    await waker.wake();
    await eventually(() => expect(drains.started).toBe(1));

    let stopped = false;
    const stopping = listener.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopped).toBe(false);
    drains.finishAll();
    await stopping;
    expect(listener.listening()).toBe(false);
    // Stopped listeners take nothing: a later token stays for whoever comes next.
    await waker.wake();
    await expect(redis.client().zcard(relayWakeKey(prefix))).resolves.toBe(1);
    expect(drains.started).toBe(1);
  });

  it('with a linger, the commits of the linger join its drain and leave no token for a second one', async () => {
    const drains = controlledDrains();
    await aListener(drains.onWake, 1000);
    const waker = await aWaker();
    await waker.wake();
    // Taken: the listener lingers now; a commit in that time wakes it again.
    await eventually(() => expect(redis.client().zcard(relayWakeKey(prefix))).resolves.toBe(0));
    await waker.wake();
    await expect(redis.client().zcard(relayWakeKey(prefix))).resolves.toBe(1);
    expect(drains.started).toBe(0);
    await eventually(() => expect(drains.started).toBe(1));
    await expect(redis.client().zcard(relayWakeKey(prefix))).resolves.toBe(0);
    // A commit after the claim began still wakes the relay once more.
    await waker.wake();
    drains.finishAll();
    await eventually(() => expect(drains.started).toBe(2));
    drains.finishAll();
  });

  it('with a linger, a token that was already waiting is drained at once: a busy relay does not linger', async () => {
    const drains = controlledDrains();
    // Left by a commit while no relay listened: the listener's first BZPOPMIN finds it there.
    await redis.client().zadd(relayWakeKey(prefix), 0, 'wake');
    // A clock that stands still: the answer came with no wait, whatever this machine's round trip
    // costs. A linger this long would outlast eventually()'s patience: only claiming at once passes.
    await aListener(drains.onWake, 60_000, () => 0);
    await eventually(() => expect(drains.started).toBe(1));
    drains.finishAll();
  });

  it('keeps listening after a drain fails', async () => {
    let calls = 0;
    const second = deferred();
    await aListener(async () => {
      calls += 1;
      if (calls === 1) throw new Error('database away');
      second.resolve();
    });
    const waker = await aWaker();
    await waker.wake();
    await eventually(() => expect(calls).toBe(1));
    await waker.wake();
    await expect(second.promise).resolves.toBeUndefined();
  });

  it('refuses a wake-up before start, without connecting on its own', async () => {
    const waker = createRedisRelayWaker({ connection: redis.workerConnection(), prefix, logger });
    started.push(waker);
    await expect(waker.wake()).rejects.toThrow('not started');
    await expect(waker.ready()).resolves.toBe(false);
  });

  it('through a Redis outage: reports it, stops without hanging, and takes tokens again once Redis is back', async () => {
    const proxy = await createTcpProxy({ host: redis.workerConnection().host, port: redis.workerConnection().port });
    try {
      const viaProxy = { ...redis.workerConnection(), host: '127.0.0.1', port: proxy.port };
      const drains = controlledDrains();
      const listener = createRedisRelayWakeListener({ connection: viaProxy, prefix, logger, blockSeconds: 60 });
      await listener.start(drains.onWake);
      started.push(listener);
      proxy.cut();
      await eventually(() => expect(listener.listening()).toBe(false));
      // A token added meanwhile (by a writer still reaching Redis) waits for the listener's return.
      const waker = await aWaker();
      await waker.wake();
      proxy.restore();
      await eventually(() => expect(drains.started).toBe(1), { timeoutMs: 20_000 });
      expect(listener.listening()).toBe(true);
      drains.finishAll();

      proxy.cut();
      await eventually(() => expect(listener.listening()).toBe(false));
      const startedAt = Date.now();
      await listener.stop();
      // Far below the 60 s a BZPOPMIN would block: the stop waited for nothing in Redis.
      expect(Date.now() - startedAt).toBeLessThan(5_000);
    } finally {
      await proxy.close();
    }
  }, 40_000);
});
