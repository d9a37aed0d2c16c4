import type { AppConfig } from '../../src/config';
import { createLogger } from '../../src/infra/logger';
import type { KafkaClient } from '../../src/infra/kafka/create-kafka';
import { createHistoryConsumer } from '../../src/infra/kafka/history.consumer';

/** A stand-in for a kafkajs consumer: records calls and lets the test emit its events. */
const fakeConsumer = () => {
  const listeners = new Map<string, ((event: { payload: Record<string, unknown> }) => void)[]>();
  const calls: string[] = [];
  const record = (name: string) => async () => void calls.push(name);
  return {
    calls,
    events: { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' },
    on: (event: string, listener: (event: { payload: Record<string, unknown> }) => void) =>
      listeners.set(event, [...(listeners.get(event) ?? []), listener]),
    emit: (event: string, payload: Record<string, unknown>) =>
      listeners.get(event)?.forEach((listener) => listener({ payload })),
    connect: record('connect'),
    subscribe: record('subscribe'),
    run: record('run'),
    stop: record('stop'),
    disconnect: record('disconnect'),
    commitOffsets: record('commit'),
  };
};

const config = {
  kafka: { topic: 't', groupId: 'g' } as AppConfig['kafka'],
  consumer: {
    retryBaseMs: 1,
    retryCapMs: 1,
    partitionsConsumedConcurrently: 1,
    sessionTimeoutMs: 6000,
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
});
