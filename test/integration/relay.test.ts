import { randomUUID } from 'node:crypto';
import type { Admin, Consumer } from 'kafkajs';
import type { RelayBatchSummary } from '../../src/application/relay-batch.use-case';
import { createKafka, type KafkaClient } from '../../src/infra/kafka/create-kafka';
import { eventually } from '../support/eventually';
import { deleteTopic, testKafka } from '../support/kafka-admin';
import { startRealRelay } from '../support/real-relay';
import { createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture';

interface Received {
  eventId: string;
  conversationId: string;
  seq: number;
  partition: number;
  offset: number;
}

describe('relay against the real broker', () => {
  let f: PipelineFixture;
  let kafka: KafkaClient;
  let admin: Admin;
  const extraTopics: string[] = [];

  beforeEach(async () => {
    f = await createPipelineFixture();
    kafka = createKafka(f.config.kafka, f.logger);
    await kafka.start();
    admin = testKafka(f.config.kafka).admin();
    await admin.connect();
  });
  afterEach(async () => {
    await admin.deleteTopics({ topics: extraTopics.splice(0) }).catch(() => undefined);
    await admin.disconnect();
    await kafka.stop();
    await deleteTopic(f.config.kafka);
    await f.close();
  });

  const relay = (owner: string, policy = { baseMs: 20, capMs: 100, maxAttempts: 10 }) =>
    startRealRelay(f, kafka, { owner, policy, batchSize: 50 });

  /** Reads the test topic from the beginning until `count` records arrived. */
  const readTopic = async (count: number): Promise<Received[]> => {
    const consumer: Consumer = testKafka(f.config.kafka).consumer({ groupId: `reader-${randomUUID()}` });
    const received: Received[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: f.config.kafka.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        const envelope = JSON.parse(String(message.value)) as { eventId: string; conversationId: string; seq: number };
        received.push({
          eventId: envelope.eventId,
          conversationId: envelope.conversationId,
          seq: envelope.seq,
          partition,
          offset: Number(message.offset),
        });
      },
    });
    try {
      await eventually(() => expect(received.length).toBeGreaterThanOrEqual(count), { timeoutMs: 30_000 });
      return received;
    } finally {
      await consumer.disconnect();
    }
  };

  const drain = async (run: () => Promise<RelayBatchSummary>) => {
    const totals: RelayBatchSummary[] = [];
    for (let idle = 0; idle < 2;) {
      const summary = await run();
      totals.push(summary);
      idle = summary.claimed === 0 ? idle + 1 : 0;
    }
    return totals;
  };

  it('publishes every row exactly once with two relays claiming in parallel, each conversation in seq order', async () => {
    const conversations = await Promise.all(Array.from({ length: 20 }, () => f.write(10)));
    const [a, b] = [await relay('relay-a'), await relay('relay-b')];
    try {
      const [ra, rb] = await Promise.all([drain(a.run), drain(b.run)]);
      const published = [...ra, ...rb].reduce((sum, s) => sum + s.published, 0);
      expect(published).toBe(200);
      expect(ra.some((s) => s.published > 0) && rb.some((s) => s.published > 0)).toBe(true);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const received = await readTopic(200);
    expect(received).toHaveLength(200);
    expect(new Set(received.map((r) => r.eventId)).size).toBe(200);
    for (const { conversationId } of conversations) {
      const seqs = received.filter((r) => r.conversationId === conversationId).map((r) => r.seq);
      expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    }
  });

  it('pauses on a missing topic (UNKNOWN_TOPIC_OR_PARTITION): no row pays an attempt, and all go out in order once it exists', async () => {
    const a = await f.write(3);
    const missingTopic = `missing-${randomUUID()}`;
    extraTopics.push(missingTopic);
    await f.sql.run(`UPDATE outbox_messages SET topic = ? WHERE event_id IN (?, ?, ?)`, [missingTopic, ...a.eventIds]);
    const r = await relay('relay-a');
    try {
      await expect(r.run()).resolves.toMatchObject({ claimed: 3, unsent: 3, retried: 0, dead: 0 });
      expect(r.gate.state()).toMatchObject({
        status: 'blocked',
        reason: expect.stringContaining('UNKNOWN_TOPIC_OR_PARTITION'),
      });
      expect((await f.rowsOf(a.eventIds)).map((row) => [row.status, row.attempts, row.claim_token])).toEqual([
        ['PENDING', 0, ''],
        ['PENDING', 0, ''],
        ['PENDING', 0, ''],
      ]);
      await admin.createTopics({ topics: [{ topic: missingTopic, numPartitions: 1 }], waitForLeaders: true });
      await eventually(
        async () => {
          await r.run();
          expect((await f.rowsOf(a.eventIds)).map((row) => row.status)).toEqual([
            'PUBLISHED',
            'PUBLISHED',
            'PUBLISHED',
          ]);
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      expect(r.gate.state()).toEqual({ status: 'flowing' });
    } finally {
      await r.stop();
    }
    const times = await f.sql.query<{ published_at: Date }>(
      `SELECT published_at FROM outbox_messages WHERE event_id IN (?, ?, ?) ORDER BY aggregate_seq`,
      [...a.eventIds],
    );
    const ms = times.map((t) => new Date(t.published_at).getTime());
    expect([...ms].sort((x, y) => x - y)).toEqual(ms);
  });

  it("marks a record above the broker's size limit (MESSAGE_TOO_LARGE) DEAD at once, and delivers the rest of its conversation and the others", async () => {
    const a = await f.write(2);
    const b = await f.write(1);
    // The broker's default message.max.bytes is about 1 MB.
    await f.sql.run(
      `UPDATE outbox_messages SET payload = JSON_OBJECT('content', REPEAT('x', 1200000)) WHERE event_id = ?`,
      [a.eventIds[0]],
    );
    const r = await relay('relay-a');
    try {
      await r.run();
      const [dead] = await f.rowsOf([a.eventIds[0]!]);
      expect(dead).toMatchObject({ status: 'DEAD', attempts: 1 });
      expect(dead?.last_error).toContain('MESSAGE_TOO_LARGE');
      expect(r.gate.state()).toEqual({ status: 'flowing' });
      await r.run();
      expect((await f.rowsOf([a.eventIds[1]!, b.eventIds[0]!])).map((row) => row.status)).toEqual([
        'PUBLISHED',
        'PUBLISHED',
      ]);
    } finally {
      await r.stop();
    }
  });

  it('records the partition and offset the broker gave each row, matching where a reader finds it', async () => {
    const conversations = await Promise.all(Array.from({ length: 6 }, () => f.write(4)));
    const r = await relay('relay-a');
    try {
      await drain(r.run);
    } finally {
      await r.stop();
    }
    const received = await readTopic(24);
    const stored = await f.sql.query<{ event_id: string; kafka_partition: number; kafka_offset: number }>(
      'SELECT event_id, kafka_partition, kafka_offset FROM outbox_messages',
    );
    expect(stored).toHaveLength(conversations.length * 4);
    const where = new Map(received.map((m) => [m.eventId, `${m.partition}:${m.offset}`]));
    for (const row of stored)
      expect(`${row.kafka_partition}:${Number(row.kafka_offset)}`).toBe(where.get(row.event_id));
  });
});
