import { Registry } from 'prom-client';
import { encodeEnvelope } from '../../src/domain/chat-message-envelope';
import {
  createConsumerMetrics,
  occurredAtMs,
  recordConsumedBatch,
  recordLag,
} from '../../src/infra/metrics/consumer-metrics';
import { createPersistHistoryBatch } from '../../src/application/persist-history-batch.use-case';
import { handleHistoryBatch } from '../../src/infra/kafka/history.consumer';
import { createLogger } from '../../src/infra/logger';
import { createFakeClock } from '../support/fakes/fake-clock';
import { createInMemoryHistoryStore } from '../support/fakes/in-memory-history-store';
import { aKafkaBatch } from '../support/fakes/kafka-batch';
import { createRecordingLogger } from '../support/fakes/recording-logger';
import { anEnvelope, anOutboxMessage } from '../support/builders';
import { createFakeScheduler } from '../support/fakes/fake-scheduler';

const NOW = Date.parse('2026-11-28T12:00:10.000Z');
/** A record value exactly as the relay produces it. */
const valueAt = (occurredAt: string, content = 'hi') =>
  String(
    encodeEnvelope(
      anOutboxMessage({
        createdAt: new Date(occurredAt),
        payloadJson: JSON.stringify({ ...anEnvelope().payload, content }),
      }),
    ).value,
  );

const setup = () => {
  const registry = new Registry();
  const metrics = createConsumerMetrics(registry);
  const json = async (name: string) => (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values ?? [];
  const latency = async (suffix: 'count' | 'sum') =>
    (await metrics.commitToConsumedSeconds.get()).values.find(
      (v) => v.metricName === `agent_relay_commit_to_consumed_seconds_${suffix}`,
    )?.value;
  const latencyCount = () => latency('count');
  const latencySum = () => latency('sum');
  return { metrics, json, latencyCount, latencySum };
};

describe('consumer metrics', () => {
  it("reads the envelope's occurredAt without parsing the whole value", () => {
    expect(occurredAtMs(valueAt('2026-11-28T12:00:00.000Z'))).toBe(Date.parse('2026-11-28T12:00:00.000Z'));
    expect(occurredAtMs(null)).toBeUndefined();
    expect(occurredAtMs('{"occurredAt":"not a date"}')).toBeUndefined();
  });

  it('cannot be fooled by an occurredAt inside the message content, wherever the key sits', () => {
    const content = '","occurredAt":"2000-01-01T00:00:00.000Z"';
    expect(occurredAtMs(valueAt('2026-11-28T12:00:00.000Z', content))).toBe(Date.parse('2026-11-28T12:00:00.000Z'));
    const payloadFirst = JSON.stringify({ payload: { content }, occurredAt: '2026-11-28T12:00:00.000Z' });
    expect(occurredAtMs(payloadFirst)).toBe(Date.parse('2026-11-28T12:00:00.000Z'));
  });

  it('counts outcomes and observes commit → consumed latency for a batch of new messages', async () => {
    const { metrics, json, latencyCount, latencySum } = setup();
    const values = [valueAt('2026-11-28T12:00:09.000Z'), valueAt('2026-11-28T12:00:08.000Z')];
    recordConsumedBatch(metrics, values, { inserted: 2, duplicates: 0, poison: 0 }, NOW);
    const counts = Object.fromEntries(
      (await json('agent_relay_consumer_records_total')).map((v) => [v.labels['outcome'], v.value]),
    );
    expect(counts).toEqual({ inserted: 2, duplicate: 0, poison: 0 });
    expect(await latencyCount()).toBe(2);
    expect(await latencySum()).toBeCloseTo(3);
  });

  it('skips latency for batches it cannot attribute (copies or poison mixed in), but counts them', async () => {
    const { metrics, json, latencyCount } = setup();
    const values = [valueAt('2026-11-28T12:00:09.000Z'), valueAt('2020-01-01T00:00:00.000Z')];
    recordConsumedBatch(metrics, values, { inserted: 1, duplicates: 1, poison: 0 }, NOW);
    recordConsumedBatch(metrics, [...values, null], { inserted: 2, duplicates: 0, poison: 1 }, NOW);
    recordConsumedBatch(metrics, values, { inserted: 0, duplicates: 2, poison: 0 }, NOW);
    expect(await latencyCount()).toBe(0);
    const counts = Object.fromEntries(
      (await json('agent_relay_consumer_records_total')).map((v) => [v.labels['outcome'], v.value]),
    );
    expect(counts).toEqual({ inserted: 3, duplicate: 3, poison: 1 });
    expect(await json('agent_relay_consumer_poison_total')).toEqual([expect.objectContaining({ value: 1 })]);
  });

  it('sets lag per partition from the high watermark, never below 0', async () => {
    const { metrics, json } = setup();
    recordLag(metrics, 2, '120', '99');
    recordLag(metrics, 0, '100', '99');
    recordLag(metrics, 1, '0', '5');
    const lag = Object.fromEntries(
      (await json('agent_relay_consumer_lag_messages')).map((v) => [v.labels['partition'], v.value]),
    );
    expect(lag).toEqual({ '0': 0, '1': 0, '2': 20 });
  });

  it('measures a batch through the consumer once, after a failed attempt, with lag from the high watermark', async () => {
    const { metrics, json, latencyCount } = setup();
    const persist = createPersistHistoryBatch({
      store: createInMemoryHistoryStore(),
      clock: createFakeClock(),
      logger: createRecordingLogger(),
    });
    let attempts = 0;
    const fake = aKafkaBatch(
      [
        { offset: '0', value: valueAt(new Date().toISOString()) },
        { offset: '1', value: valueAt(new Date().toISOString()) },
      ],
      { partition: 4 },
    );
    Object.assign(fake.payload.batch, { highWatermark: '7' });
    const outcome = await handleHistoryBatch(
      {
        persist: async (records) => {
          attempts += 1;
          if (attempts === 1) throw new Error('deadlock');
          return persist(records);
        },
        offsets: { offer: async () => undefined, flush: async () => undefined },
        logger: createLogger({ level: 'silent' }),
        retry: { baseMs: 1, capMs: 1 },
        heartbeatEveryMs: 1,
        scheduler: createFakeScheduler({ autoAdvance: true }),
        metrics,
      },
      fake.payload,
    );
    expect(outcome).toBe('committed');
    expect(await latencyCount()).toBe(2);
    expect(await json('agent_relay_consumer_batch_seconds')).toContainEqual(
      expect.objectContaining({ metricName: 'agent_relay_consumer_batch_seconds_count', value: 1 }),
    );
    expect(await json('agent_relay_consumer_lag_messages')).toEqual([
      expect.objectContaining({ labels: { partition: '4' }, value: 5 }),
    ]);
  });
});
