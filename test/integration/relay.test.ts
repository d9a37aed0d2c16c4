import { randomUUID } from 'node:crypto';
import type { Admin, Consumer } from 'kafkajs';
import { createPublishingGate } from '../../src/application/publishing-gate';
import { createRelayBatch, type RelayBatchSummary } from '../../src/application/relay-batch.use-case';
import { systemClock } from '../../src/domain/ports/clock';
import { createKafka, type KafkaClient } from '../../src/infra/kafka/create-kafka';
import { createKafkaPublisher } from '../../src/infra/kafka/kafka-publisher';
import { eventually } from '../support/eventually';
import { deleteTopic, testKafka } from '../support/kafka-admin';
import { createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture';

interface Received {
  eventId: string;
  conversationId: string;
  seq: number;
  partition: number;
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

  const relay = async (owner: string, policy = { baseMs: 20, capMs: 100, maxAttempts: 10 }) => {
    const publisher = createKafkaPublisher({ kafka, logger: f.logger });
    await publisher.start();
    const gate = createPublishingGate({ clock: systemClock, policy: { baseMs: 20, capMs: 100 }, observe: () => undefined });
    const run = createRelayBatch({ store: f.store, publisher, clock: systemClock, policy, gate, owner, batchSize: 50, leaseMs: 30_000 });
    return { run, stop: () => publisher.stop() };
  };

  /** Reads the test topic from the beginning until `count` records arrived. */
  const readTopic = async (count: number): Promise<Received[]> => {
    const consumer: Consumer = testKafka(f.config.kafka).consumer({ groupId: `reader-${randomUUID()}` });
    const received: Received[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: f.config.kafka.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        const envelope = JSON.parse(String(message.value)) as { eventId: string; conversationId: string; seq: number };
        received.push({ eventId: envelope.eventId, conversationId: envelope.conversationId, seq: envelope.seq, partition });
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
    for (let idle = 0; idle < 2; ) {
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

  it('holds back only the failing conversation: a row whose topic is missing delays its successors, not other conversations', async () => {
    const a = await f.write(3);
    const b = await f.write(2);
    const missingTopic = `missing-${randomUUID()}`;
    extraTopics.push(missingTopic);
    await f.sql.run('UPDATE outbox_messages SET topic = ? WHERE event_id = ?', [missingTopic, a.eventIds[0]]);
    const r = await relay('relay-a');
    try {
      const first = await r.run();
      expect(first).toMatchObject({ claimed: 5, published: 2, retried: 1, heldBack: 2, dead: 0 });
      expect((await f.rowsOf(b.eventIds)).map((row) => row.status)).toEqual(['PUBLISHED', 'PUBLISHED']);
      expect((await f.rowsOf(a.eventIds)).map((row) => [row.status, row.attempts])).toEqual([['PENDING', 1], ['PENDING', 0], ['PENDING', 0]]);
      await admin.createTopics({ topics: [{ topic: missingTopic, numPartitions: 1 }], waitForLeaders: true });
      await eventually(async () => {
        await r.run();
        expect((await f.rowsOf(a.eventIds)).map((row) => row.status)).toEqual(['PUBLISHED', 'PUBLISHED', 'PUBLISHED']);
      }, { timeoutMs: 30_000, intervalMs: 100 });
    } finally {
      await r.stop();
    }
    const times = await f.sql.query<{ published_at: Date }>(`SELECT published_at FROM outbox_messages WHERE event_id IN (?, ?, ?) ORDER BY aggregate_seq`, [...a.eventIds]);
    const ms = times.map((t) => new Date(t.published_at).getTime());
    expect([...ms].sort((x, y) => x - y)).toEqual(ms);
  });

  it('marks a row DEAD with the broker error after its last attempt, then lets its conversation move on', async () => {
    const a = await f.write(2);
    await f.sql.run('UPDATE outbox_messages SET topic = ? WHERE event_id = ?', [`missing-${randomUUID()}`, a.eventIds[0]]);
    await f.sql.run('UPDATE outbox_messages SET max_attempts = 2');
    const r = await relay('relay-a');
    try {
      await eventually(async () => {
        await r.run();
        const [dead] = await f.rowsOf([a.eventIds[0]!]);
        expect(dead).toMatchObject({ status: 'DEAD', attempts: 2 });
        expect(dead?.last_error).toMatch(/topic|partition/i);
      }, { timeoutMs: 30_000, intervalMs: 100 });
      await r.run();
      expect((await f.rowsOf([a.eventIds[1]!]))[0]?.status).toBe('PUBLISHED');
    } finally {
      await r.stop();
    }
  });
});
