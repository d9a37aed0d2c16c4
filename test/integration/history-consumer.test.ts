import type { Admin, Producer } from 'kafkajs';
import type { AppConfig } from '../../src/config';
import { encodeEnvelope } from '../../src/domain/chat-message-envelope';
import {
  createPersistHistoryBatch,
  type PersistHistoryBatch,
} from '../../src/application/persist-history-batch.use-case';
import { systemClock } from '../../src/domain/ports/clock';
import { createKafka, type KafkaClient } from '../../src/infra/kafka/create-kafka';
import { createHistoryConsumer } from '../../src/infra/kafka/history.consumer';
import type { Component } from '../../src/infra/lifecycle';
import { deferred, eventually } from '../support/eventually';
import { deleteTopic, testKafka } from '../support/kafka-admin';
import { createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture';

describe('history consumer against the real broker and database', () => {
  let f: PipelineFixture;
  let kafka: KafkaClient;
  let producer: Producer;
  let admin: Admin;
  const running: Component[] = [];

  beforeEach(async () => {
    f = await createPipelineFixture({ CONSUMER_RETRY_BASE_MS: '20', CONSUMER_RETRY_CAP_MS: '50' });
    kafka = createKafka(f.config.kafka, f.logger);
    await kafka.start();
    producer = testKafka(f.config.kafka).producer();
    admin = testKafka(f.config.kafka).admin();
    await Promise.all([producer.connect(), admin.connect()]);
  });
  afterEach(async () => {
    for (const component of running.splice(0).reverse()) await component.stop();
    await Promise.all([producer.disconnect(), admin.disconnect()]);
    await kafka.stop();
    await deleteTopic(f.config.kafka);
    await f.close();
  });

  const realPersist = () => createPersistHistoryBatch({ store: f.history, clock: systemClock, logger: f.logger });
  const startConsumer = async (
    persist: PersistHistoryBatch = realPersist(),
    tuning: Partial<AppConfig['consumer']> = {},
  ) => {
    const consumer = createHistoryConsumer({
      kafka,
      config: { kafka: f.config.kafka, consumer: { ...f.config.consumer, ...tuning } },
      persist,
      logger: f.logger,
    });
    await consumer.start();
    running.push(consumer);
    return consumer;
  };
  /** Claims the written rows and returns them as the relay would publish them. */
  const recordsFor = async () =>
    (await f.store.claim({ owner: 't', batchSize: 100, leaseMs: 60_000, now: new Date() })).messages.map(
      encodeEnvelope,
    );
  const historyCount = async (eventId: string) =>
    Number(
      (await f.sql.query<{ n: number }>('SELECT COUNT(*) AS n FROM chat_messages WHERE event_id = ?', [eventId]))[0]?.n,
    );
  const committedOffset = async () =>
    (await admin.fetchOffsets({ groupId: f.config.kafka.groupId, topics: [f.config.kafka.topic] }))[0]!.partitions
      .map((p) => Number(p.offset))
      .reduce((a, b) => Math.max(a, b), -1);

  it('turns duplicate deliveries of one event into one history row and one counted message', async () => {
    const { conversationId, eventIds } = await f.write(1);
    const [record] = await recordsFor();
    await producer.send({ topic: f.config.kafka.topic, messages: [record!, record!] });
    await startConsumer();
    await eventually(async () => expect((await f.rowsOf(eventIds))[0]?.status).toBe('CONSUMED'));
    await producer.send({ topic: f.config.kafka.topic, messages: [record!] });
    await eventually(async () => expect(await committedOffset()).toBe(3));
    expect(await historyCount(eventIds[0]!)).toBe(1);
    const [conversation] = await f.sql.query<{ message_count: number }>(
      'SELECT message_count FROM conversations WHERE id = ?',
      [conversationId],
    );
    expect(conversation?.message_count).toBe(1);
  });

  it('commits no offset while the database fails, and a new consumer persists the redelivered batch once', async () => {
    const { eventIds } = await f.write(2);
    await producer.send({ topic: f.config.kafka.topic, messages: await recordsFor() });
    let failures = 0;
    const failing = await startConsumer(async () => {
      failures += 1;
      throw new Error('database is down');
    });
    await eventually(() => expect(failures).toBeGreaterThanOrEqual(3));
    expect(await committedOffset()).toBe(-1);
    await failing.stop();
    running.splice(running.indexOf(failing), 1);
    await startConsumer();
    await eventually(
      async () => expect((await f.rowsOf(eventIds)).map((r) => r.status)).toEqual(['CONSUMED', 'CONSUMED']),
      { timeoutMs: 30_000 },
    );
    for (const eventId of eventIds) expect(await historyCount(eventId)).toBe(1);
    await eventually(async () => expect(await committedOffset()).toBe(2));
  });

  it('marks a poison record DEAD with its reason and consumes the next record on the same partition', async () => {
    const poison = await f.write(1);
    const good = await f.write(1);
    const [poisonRecord, goodRecord] = await recordsFor();
    const key = 'same-partition';
    await producer.send({
      topic: f.config.kafka.topic,
      messages: [
        { ...poisonRecord!, key, value: '{not json' },
        { ...goodRecord!, key },
      ],
    });
    await startConsumer();
    await eventually(async () => expect((await f.rowsOf(good.eventIds))[0]?.status).toBe('CONSUMED'));
    const [dead] = await f.rowsOf(poison.eventIds);
    expect(dead).toMatchObject({ status: 'DEAD', last_error: 'poison: value is not JSON' });
    expect(await historyCount(poison.eventIds[0]!)).toBe(0);
  });

  it('coalesces offset commits, and commits the last stored offset + 1 before it leaves the group on stop', async () => {
    const first = await f.write(1);
    const rest = await f.write(2);
    const [r0, r1, r2] = await recordsFor();
    const key = 'one-partition';
    await producer.send({ topic: f.config.kafka.topic, messages: [{ ...r0!, key }] });
    // An interval no test waits out: every commit after the first has to come from stop().
    const consumer = await startConsumer(realPersist(), { offsetCommitIntervalMs: 60_000 });
    await eventually(async () => expect((await f.rowsOf(first.eventIds))[0]?.status).toBe('CONSUMED'));
    await eventually(async () => expect(await committedOffset()).toBe(1));
    for (const record of [r1!, r2!])
      await producer.send({ topic: f.config.kafka.topic, messages: [{ ...record, key }] });
    await eventually(async () =>
      expect((await f.rowsOf(rest.eventIds)).map((r) => r.status)).toEqual(['CONSUMED', 'CONSUMED']),
    );
    expect(await committedOffset()).toBe(1);
    await consumer.stop();
    running.splice(running.indexOf(consumer), 1);
    expect(await committedOffset()).toBe(3);
  });

  it('commits the offset of the batch in hand when stop() comes during its transaction', async () => {
    const { eventIds } = await f.write(1);
    await producer.send({ topic: f.config.kafka.topic, messages: await recordsFor() });
    const persist = realPersist();
    const entered = deferred();
    const release = deferred();
    const consumer = await startConsumer(async (records) => {
      entered.resolve();
      await release.promise;
      return persist(records);
    });
    await entered.promise;
    // kafkajs's consumer.commitOffsets does nothing once its stop() began: this offset can only go
    // out through the batch's own payload, before the member leaves the group.
    const stopped = consumer.stop();
    release.resolve();
    await stopped;
    running.splice(running.indexOf(consumer), 1);
    expect((await f.rowsOf(eventIds))[0]?.status).toBe('CONSUMED');
    expect(await committedOffset()).toBe(1);
  });
});
