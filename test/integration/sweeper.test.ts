import { randomUUID } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { createPersistHistoryBatch } from '../../src/application/persist-history-batch.use-case';
import { createSweepOutbox } from '../../src/application/sweep-outbox.use-case';
import { systemClock } from '../../src/domain/ports/clock';
import { createKafka, type KafkaClient } from '../../src/infra/kafka/create-kafka';
import { createHistoryConsumer } from '../../src/infra/kafka/history.consumer';
import { createKafkaLogProgress } from '../../src/infra/kafka/kafka-log-progress';
import { eventually } from '../support/eventually';
import { deleteTopic, testKafka } from '../support/kafka-admin';
import { startRealRelay } from '../support/real-relay';
import { createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture';

interface Positioned {
  event_id: string;
  status: string;
  kafka_partition: number;
  kafka_offset: number;
}

/**
 * The sweeper against the real broker and group offsets: rows waiting in Kafka for a consumer
 * that has not reached them stay PUBLISHED however old; a row the group committed past without
 * recording it is sent again.
 */
describe('sweeper re-publishes only lost rows', () => {
  let f: PipelineFixture;
  let kafka: KafkaClient;
  let admin: Admin;

  beforeEach(async () => {
    // One partition keeps the offsets of one conversation easy to reason about.
    f = await createPipelineFixture({ KAFKA_PARTITIONS: '1', KAFKA_CONSUMER_GROUP: `sweeper-${randomUUID()}` });
    kafka = createKafka(f.config.kafka, f.logger);
    await kafka.start();
    admin = testKafka(f.config.kafka).admin();
    await admin.connect();
  });
  afterEach(async () => {
    await admin.disconnect();
    await kafka.stop();
    await deleteTopic(f.config.kafka);
    await f.close();
  });

  const publishAll = async () => {
    const { run: relay, stop } = await startRealRelay(f, kafka, { owner: 'relay-a', batchSize: 100 });
    try {
      await expect(relay()).resolves.toMatchObject({ published: 4 });
    } finally {
      await stop();
    }
  };
  const rows = (eventIds: readonly string[]) =>
    f.sql.query<Positioned>(
      `SELECT event_id, status, kafka_partition, kafka_offset FROM outbox_messages WHERE event_id IN (${eventIds.map(() => '?').join(', ')}) ORDER BY aggregate_seq`,
      [...eventIds],
    );
  const sweep = () =>
    createSweepOutbox({
      store: f.store,
      progress: createKafkaLogProgress({ kafka, groupId: f.config.kafka.groupId }),
      clock: systemClock,
      sweepAfterMs: 60_000,
      limit: 100,
    })();

  it('leaves rows waiting behind a consumer that has not reached them, however long they wait', async () => {
    const { eventIds } = await f.write(4);
    await publishAll();
    await f.sql.run(`UPDATE outbox_messages SET published_at = NOW(3) - INTERVAL 1 HOUR`);
    // The group stands at the first record: every row is still ahead of it.
    await admin.setOffsets({
      groupId: f.config.kafka.groupId,
      topic: f.config.kafka.topic,
      partitions: [{ partition: 0, offset: '0' }],
    });
    await expect(sweep()).resolves.toMatchObject({ requeued: 0, progressUnknown: false });
    expect((await rows(eventIds)).map((r) => [r.status, Number(r.kafka_offset)])).toEqual([
      ['PUBLISHED', 0],
      ['PUBLISHED', 1],
      ['PUBLISHED', 2],
      ['PUBLISHED', 3],
    ]);
  });

  it('sends no copy of rows held up by a live but stalled consumer, which then stores each once', async () => {
    const { eventIds } = await f.write(4);
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    let batches = 0;
    const persist = createPersistHistoryBatch({ store: f.history, clock: systemClock, logger: f.logger });
    const consumer = createHistoryConsumer({
      kafka,
      config: { kafka: f.config.kafka, consumer: f.config.consumer },
      persist: async (records) => {
        batches += 1;
        await stalled;
        return persist(records);
      },
      logger: f.logger,
    });
    await consumer.start();
    try {
      await publishAll();
      await eventually(() => expect(batches).toBeGreaterThan(0), { timeoutMs: 30_000 });
      await f.sql.run(`UPDATE outbox_messages SET published_at = NOW(3) - INTERVAL 1 HOUR`);
      await expect(sweep()).resolves.toMatchObject({ requeued: 0, progressUnknown: false });
      release();
      await eventually(
        async () =>
          expect((await rows(eventIds)).map((r) => r.status)).toEqual(['CONSUMED', 'CONSUMED', 'CONSUMED', 'CONSUMED']),
        { timeoutMs: 30_000 },
      );
      const [copies] = await f.sql.query<{ n: number }>('SELECT COUNT(*) AS n FROM chat_messages');
      expect(Number(copies?.n)).toBe(4);
    } finally {
      release();
      await consumer.stop();
    }
  });

  it('re-publishes the rows the group committed past without recording them, and only those', async () => {
    const { eventIds } = await f.write(4);
    await publishAll();
    await f.sql.run(`UPDATE outbox_messages SET published_at = NOW(3) - INTERVAL 1 HOUR`);
    await admin.setOffsets({
      groupId: f.config.kafka.groupId,
      topic: f.config.kafka.topic,
      partitions: [{ partition: 0, offset: '2' }],
    });
    await expect(sweep()).resolves.toMatchObject({ requeued: 2, lost: 2, unrecorded: 0 });
    expect((await rows(eventIds)).map((r) => [r.status, Number(r.kafka_offset)])).toEqual([
      ['PENDING', -1],
      ['PENDING', -1],
      ['PUBLISHED', 2],
      ['PUBLISHED', 3],
    ]);
  });

  it('still re-publishes by age alone a row published before positions were recorded', async () => {
    const { eventIds } = await f.write(4);
    await publishAll();
    await f.sql.run(
      `UPDATE outbox_messages SET published_at = NOW(3) - INTERVAL 1 HOUR, kafka_partition = -1, kafka_offset = -1 WHERE event_id = ?`,
      [eventIds[0]],
    );
    await expect(sweep()).resolves.toMatchObject({ requeued: 1, unrecorded: 1, lost: 0 });
    expect((await rows(eventIds)).map((r) => r.status)).toEqual(['PENDING', 'PUBLISHED', 'PUBLISHED', 'PUBLISHED']);
  });
});
