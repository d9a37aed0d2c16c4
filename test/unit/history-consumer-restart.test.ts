import type { ConsumerRunConfig, EachBatchPayload } from 'kafkajs';
import type { AppConfig } from '../../src/config';
import { createLogger } from '../../src/infra/logger';
import type { KafkaClient } from '../../src/infra/kafka/create-kafka';
import { createHistoryConsumer } from '../../src/infra/kafka/history.consumer';
import { aKafkaBatch } from '../support/fakes/kafka-batch';

/** A stand-in for a kafkajs consumer: records calls and lets the test emit its events. */
const fakeConsumer = () => {
  const listeners = new Map<string, ((event: { payload: Record<string, unknown> }) => void)[]>();
  const calls: string[] = [];
  const record = (name: string) => async () => void calls.push(name);
  let runConfig: ConsumerRunConfig | undefined;
  return {
    calls,
    /** Hands a batch to the consumer's eachBatch, as kafkajs would. */
    deliver: (payload: EachBatchPayload) => runConfig!.eachBatch!(payload),
    events: { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join', REBALANCING: 'consumer.rebalancing' },
    on: (event: string, listener: (event: { payload: Record<string, unknown> }) => void) =>
      listeners.set(event, [...(listeners.get(event) ?? []), listener]),
    emit: (event: string, payload: Record<string, unknown>) =>
      listeners.get(event)?.forEach((listener) => listener({ payload })),
    connect: record('connect'),
    subscribe: record('subscribe'),
    run: async (config: ConsumerRunConfig) => {
      runConfig = config;
      calls.push('run');
    },
    stop: record('stop'),
    disconnect: record('disconnect'),
    commitOffsets: async (offsets: { partition: number; offset: string }[]) =>
      void calls.push(`commit ${offsets.map((o) => `${o.partition}:${o.offset}`).join(',')}`),
  };
};

const config = {
  kafka: { topic: 't', groupId: 'g' } as AppConfig['kafka'],
  consumer: {
    retryBaseMs: 1,
    retryCapMs: 1,
    partitionsConsumedConcurrently: 1,
    sessionTimeoutMs: 6000,
    offsetCommitIntervalMs: 1_000,
  } as AppConfig['consumer'],
};

describe('history consumer supervision', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const setup = () => {
    const consumers: ReturnType<typeof fakeConsumer>[] = [];
    const kafka = {
      kafka: () => ({ consumer: () => consumers[consumers.push(fakeConsumer()) - 1] }),
    } as unknown as KafkaClient;
    const component = createHistoryConsumer({
      kafka,
      config,
      persist: async () => ({ inserted: 0, duplicates: 0, poison: 0 }),
      logger: createLogger({ level: 'silent' }),
    });
    return { consumers, component };
  };

  it('starts a fresh consumer when kafkajs crashes without restarting, degraded (still ready) until it rejoins', async () => {
    const { consumers, component } = setup();
    await component.start();
    consumers[0]!.emit('consumer.group_join', {});
    await expect(component.ready()).resolves.toBe(true);

    consumers[0]!.emit('consumer.crash', {
      error: new Error('This is not the correct coordinator for this group'),
      restart: false,
    });
    await expect(component.ready()).resolves.toBe(true);
    expect(component.degraded?.()).toMatch(/consumer not running: .*not the correct coordinator/);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(consumers).toHaveLength(2);
    expect(consumers[0]!.calls).toContain('disconnect');
    expect(consumers[1]!.calls).toEqual(['connect', 'subscribe', 'run']);
    consumers[1]!.emit('consumer.group_join', {});
    await expect(component.ready()).resolves.toBe(true);
    expect(component.degraded?.()).toBeUndefined();
  });

  it('is not ready before it has first joined its group', async () => {
    const { component } = setup();
    await component.start();
    await expect(component.ready()).resolves.toBe(false);
  });

  it('leaves restarts to kafkajs when it says it will restart', async () => {
    const { consumers, component } = setup();
    await component.start();
    consumers[0]!.emit('consumer.crash', { error: new Error('retriable'), restart: true });
    await jest.advanceTimersByTimeAsync(60_000);
    expect(consumers).toHaveLength(1);
  });

  it('does not restart after stop()', async () => {
    const { consumers, component } = setup();
    await component.start();
    consumers[0]!.emit('consumer.crash', { error: new Error('fatal'), restart: false });
    await component.stop();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(consumers).toHaveLength(1);
  });

  const batchAt = (offset: string) =>
    aKafkaBatch([{ offset, value: 'not json' }], { topic: 't', partition: 0 }).payload;

  /** A started consumer that stored offsets 0 and 1: 0:1 committed at once, 0:2 pending. */
  const startedWithTwoBatches = async () => {
    const { consumers, component } = setup();
    await component.start();
    const consumer = consumers[0]!;
    await consumer.deliver(batchAt('0'));
    await consumer.deliver(batchAt('1'));
    return { consumer, component };
  };

  it('commits offsets at most once a second, and the pending one before the consumer stops', async () => {
    const { consumer, component } = await startedWithTwoBatches();
    await consumer.deliver(batchAt('2'));
    expect(consumer.calls.filter((c) => c.startsWith('commit'))).toEqual(['commit 0:1']);
    await component.stop();
    expect(consumer.calls.slice(3)).toEqual(['commit 0:1', 'commit 0:3', 'stop', 'disconnect']);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(consumer.calls.slice(3)).toEqual(['commit 0:1', 'commit 0:3', 'stop', 'disconnect']);
  });

  it('never lets a trailing commit that fires while the consumer stops pass for sent: the batch in hand sends it', async () => {
    const { consumer, component } = await startedWithTwoBatches();
    // stop()'s flush fails, so 0:2 waits for a trailing commit a second later; consumer.stop()
    // (which lets the batch in hand finish) is still going when it fires.
    const commit = consumer.commitOffsets;
    consumer.commitOffsets = async () => {
      consumer.commitOffsets = commit;
      throw new Error('coordinator moving');
    };
    let finishStop!: () => void;
    consumer.stop = () => new Promise<undefined>((resolve) => (finishStop = () => resolve(undefined)));
    const stopping = component.stop();
    await jest.advanceTimersByTimeAsync(1_000);
    // kafkajs's commitOffsets would resolve without committing now: it must not be called.
    expect(consumer.calls.filter((c) => c.startsWith('commit'))).toEqual(['commit 0:1']);
    const inHand = batchAt('2');
    const viaBatch: string[] = [];
    inHand.commitOffsetsIfNecessary = async (offsets) =>
      void viaBatch.push(JSON.stringify(offsets?.topics.flatMap((t) => t.partitions)));
    await consumer.deliver(inHand);
    expect(viaBatch).toEqual([JSON.stringify([{ partition: 0, offset: '3' }])]);
    finishStop();
    await stopping;
  });

  it('sends the trailing commit an interval after the last one', async () => {
    const { consumer } = await startedWithTwoBatches();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(consumer.calls.slice(3)).toEqual(['commit 0:1', 'commit 0:2']);
  });

  it('commits what is pending when a rebalance begins, and nothing of it afterwards', async () => {
    const { consumer } = await startedWithTwoBatches();
    consumer.emit('consumer.rebalancing', {});
    expect(consumer.calls.slice(3)).toEqual(['commit 0:1', 'commit 0:2']);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(consumer.calls.slice(3)).toEqual(['commit 0:1', 'commit 0:2']);
  });

  it('drops what is pending when the consumer crashes: its membership is gone', async () => {
    const { consumer } = await startedWithTwoBatches();
    consumer.emit('consumer.crash', { error: new Error('retriable'), restart: true });
    await jest.advanceTimersByTimeAsync(60_000);
    expect(consumer.calls.slice(3)).toEqual(['commit 0:1']);
  });
});
