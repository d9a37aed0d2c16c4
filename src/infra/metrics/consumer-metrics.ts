import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const OUTCOMES = ['inserted', 'duplicate', 'poison'] as const;

export const createConsumerMetrics = (registry: Registry) => {
  const registers = [registry];
  const records = new Counter({
    name: 'agent_relay_consumer_records_total',
    help: 'Kafka records the history consumer applied, by outcome: inserted, duplicate (already in history) or poison.',
    labelNames: ['outcome'] as const,
    registers,
  });
  // Every outcome starts at 0, so increase() and alerts see the first copy or poison record.
  for (const outcome of OUTCOMES) records.inc({ outcome }, 0);
  return {
    commitToConsumedSeconds: new Histogram({
      name: 'agent_relay_commit_to_consumed_seconds',
      help: 'From the writer committing a message (envelope occurredAt) to the consumer persisting it into history.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    records,
    poison: new Counter({
      name: 'agent_relay_consumer_poison_total',
      help: 'Records that could not be decoded; their outbox rows went DEAD.',
      registers,
    }),
    lag: new Gauge({
      name: 'agent_relay_consumer_lag_messages',
      help: 'Records behind the partition high watermark after the last batch this process handled.',
      labelNames: ['partition'] as const,
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'agent_relay_consumer_batch_seconds',
      help: 'One Kafka batch from hand-over to its offset handed to the committer, database retries included.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
  };
};

export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;

// The envelope's only object with an occurredAt key is the top level (payload has none), and a
// quote inside a JSON string is escaped, so this cannot match user content: no full JSON.parse.
const OCCURRED_AT = /"occurredAt":"([^"]{1,40})"/;

/** Epoch ms of the envelope's occurredAt, or undefined when the value has none. */
export const occurredAtMs = (value: string | null): number | undefined => {
  const match = value ? OCCURRED_AT.exec(value) : null;
  const at = match?.[1] ? Date.parse(match[1]) : Number.NaN;
  return Number.isNaN(at) ? undefined : at;
};

/** What one persisted batch reports, as counts (PersistHistorySummary fits). */
export interface BatchOutcome {
  readonly inserted: number;
  readonly duplicates: number;
  readonly poison: number;
}

/**
 * Counts one persisted batch. The summary has counts, not ids, so latency is observed only
 * when every record of the batch was new (no duplicates, no poison): then each record is
 * exactly one newly inserted message. Mixed batches (a redelivery overlapping new records)
 * are rare and skipped rather than polluted with a copy's hours-old occurredAt.
 */
export const recordConsumedBatch = (
  metrics: ConsumerMetrics,
  values: readonly (string | null)[],
  outcome: BatchOutcome,
  now = Date.now(),
) => {
  if (outcome.inserted > 0) metrics.records.inc({ outcome: 'inserted' }, outcome.inserted);
  if (outcome.duplicates > 0) metrics.records.inc({ outcome: 'duplicate' }, outcome.duplicates);
  if (outcome.poison > 0) {
    metrics.records.inc({ outcome: 'poison' }, outcome.poison);
    metrics.poison.inc(outcome.poison);
  }
  if (outcome.inserted === 0 || outcome.duplicates > 0 || outcome.poison > 0) return;
  for (const value of values) {
    const at = occurredAtMs(value);
    if (at !== undefined) metrics.commitToConsumedSeconds.observe(Math.max(0, now - at) / 1000);
  }
};

/** Lag as kafkajs sees it at hand-over: high watermark minus the next offset to read. */
export const recordLag = (metrics: ConsumerMetrics, partition: number, highWatermark: string, lastOffset: string) => {
  const lag = BigInt(highWatermark) - BigInt(lastOffset) - 1n;
  metrics.lag.set({ partition: String(partition) }, Number(lag > 0n ? lag : 0n));
};
