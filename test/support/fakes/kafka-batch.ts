import type { EachBatchPayload, IHeaders, KafkaMessage } from 'kafkajs';

export interface FakeRecord {
  readonly offset: string;
  readonly value: string | null;
  readonly headers?: IHeaders;
}

export interface FakeBatch {
  readonly payload: EachBatchPayload;
  readonly resolvedOffsets: string[];
  readonly heartbeats: { count: number };
  /** Answers for isRunning(), consumed one per call; the last one repeats. */
  running: boolean[];
  stale: boolean;
}

const toKafkaMessage = (record: FakeRecord): KafkaMessage => ({
  key: null,
  value: record.value === null ? null : Buffer.from(record.value, 'utf8'),
  timestamp: '0',
  attributes: 0,
  offset: record.offset,
  headers: record.headers ?? {},
});

/** A kafkajs EachBatchPayload without a broker: records calls instead of talking to one. */
export const aKafkaBatch = (
  records: readonly FakeRecord[],
  where: { topic?: string; partition?: number } = {},
): FakeBatch => {
  const messages = records.map(toKafkaMessage);
  const fake: FakeBatch = {
    resolvedOffsets: [],
    heartbeats: { count: 0 },
    running: [true],
    stale: false,
    payload: {
      batch: {
        topic: where.topic ?? 'history-topic',
        partition: where.partition ?? 0,
        highWatermark: String(messages.length),
        messages,
        isEmpty: () => messages.length === 0,
        firstOffset: () => messages[0]?.offset ?? null,
        lastOffset: () => messages[messages.length - 1]?.offset ?? '-1',
        offsetLag: () => '0',
        offsetLagLow: () => '0',
      },
      resolveOffset: (offset) => {
        fake.resolvedOffsets.push(offset);
      },
      heartbeat: async () => {
        fake.heartbeats.count += 1;
      },
      pause: () => () => undefined,
      commitOffsetsIfNecessary: async () => undefined,
      uncommittedOffsets: () => ({ topics: [] }),
      isRunning: () => (fake.running.length > 1 ? (fake.running.shift() ?? true) : (fake.running[0] ?? true)),
      isStale: () => fake.stale,
    },
  };
  return fake;
};
