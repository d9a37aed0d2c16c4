import type { Admin, Producer } from 'kafkajs';
import { encodeEnvelope } from '../../src/domain/chat-message-envelope';
import { createPersistHistoryBatch } from '../../src/application/persist-history-batch.use-case';
import { systemClock } from '../../src/domain/ports/clock';
import { createDatabase, type Database } from '../../src/infra/db/create-database';
import { createSqlHistoryStore } from '../../src/infra/db/repositories/sql-history.store';
import { createKafka, type KafkaClient } from '../../src/infra/kafka/create-kafka';
import { createHistoryConsumer } from '../../src/infra/kafka/history.consumer';
import type { Component } from '../../src/infra/lifecycle';
import { eventually } from '../support/eventually';
import { deleteTopic, testKafka } from '../support/kafka-admin';
import { createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture';
import { createTcpProxy } from '../../tools/kit/tcp-proxy';

const SESSION_TIMEOUT_MS = 6_000;

/**
 * The history consumer's database is cut (a TCP proxy in front of MariaDB) for well over two
 * session timeouts while records keep arriving: the consumer must stay in its group (the same
 * member, no rebalance), commit nothing it has not stored, and, once the database is back,
 * store everything once and in order.
 */
describe('history consumer during a database outage', () => {
  let f: PipelineFixture;
  let kafka: KafkaClient;
  let producer: Producer;
  let admin: Admin;
  let proxied: Database;
  let proxy: Awaited<ReturnType<typeof createTcpProxy>>;
  const running: Component[] = [];

  beforeEach(async () => {
    f = await createPipelineFixture({ CONSUMER_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), KAFKA_PARTITIONS: '1' });
    const target = new URL(f.config.db.url);
    proxy = await createTcpProxy({ host: target.hostname, port: Number(target.port || 3306) });
    const viaProxy = new URL(f.config.db.url);
    viaProxy.port = String(proxy.port);
    proxied = createDatabase({ ...f.config.db, url: viaProxy.toString() }, f.logger);
    await proxied.start();
    kafka = createKafka(f.config.kafka, f.logger);
    await kafka.start();
    producer = testKafka(f.config.kafka).producer();
    admin = testKafka(f.config.kafka).admin();
    await Promise.all([producer.connect(), admin.connect()]);
  });
  afterEach(async () => {
    proxy.restore();
    for (const component of running.splice(0).reverse()) await component.stop();
    await Promise.all([producer.disconnect(), admin.disconnect()]);
    await kafka.stop();
    await proxied.stop().catch(() => undefined);
    await proxy.close();
    await deleteTopic(f.config.kafka);
    await f.close();
  });

  const publish = async () => {
    const { messages } = await f.store.claim({ owner: 't', batchSize: 100, leaseMs: 60_000, now: new Date() });
    await producer.send({ topic: f.config.kafka.topic, messages: messages.map(encodeEnvelope) });
  };
  const members = async () => {
    const [group] = (await admin.describeGroups([f.config.kafka.groupId])).groups;
    return { state: group?.state, members: group?.members.map((m) => m.memberId) };
  };

  it('keeps its group membership through the outage and then stores every record once, in order', async () => {
    let failures = 0;
    let firstFailureAt = 0;
    const persist = createPersistHistoryBatch({
      store: createSqlHistoryStore(proxied),
      clock: systemClock,
      logger: f.logger,
    });
    const consumer = createHistoryConsumer({
      kafka,
      // Retry delays longer than the session itself (config.ts refuses such a cap; the sliced,
      // heartbeating wait must not depend on that): a wait that only heartbeats between
      // attempts loses the membership here.
      config: { kafka: f.config.kafka, consumer: { ...f.config.consumer, retryBaseMs: 4_000, retryCapMs: 12_000 } },
      persist: async (records) => {
        try {
          return await persist(records);
        } catch (error) {
          failures += 1;
          firstFailureAt ||= Date.now();
          throw error;
        }
      },
      logger: f.logger,
    });
    await consumer.start();
    running.push(consumer);
    const before = await f.write(3);
    await publish();
    await eventually(
      async () =>
        expect((await f.rowsOf(before.eventIds)).map((r) => r.status)).toEqual(['CONSUMED', 'CONSUMED', 'CONSUMED']),
      { timeoutMs: 30_000 },
    );
    const joined = await members();
    expect(joined).toMatchObject({ state: 'Stable', members: [expect.any(String)] });

    proxy.cut();
    const during = await f.write(3, before.conversationId);
    await publish();
    // The outage lasts until the consumer has been failing for 2.5 session timeouts.
    await eventually(
      () => expect(failures > 0 && Date.now() - firstFailureAt).toBeGreaterThan(2.5 * SESSION_TIMEOUT_MS),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(await members()).toEqual(joined);
    expect((await f.rowsOf(during.eventIds)).some((r) => r.status === 'CONSUMED')).toBe(false);

    proxy.restore();
    await eventually(
      async () =>
        expect((await f.rowsOf(during.eventIds)).map((r) => r.status)).toEqual(['CONSUMED', 'CONSUMED', 'CONSUMED']),
      { timeoutMs: 30_000 },
    );
    const history = await f.sql.query<{ seq: number }>(
      'SELECT seq FROM chat_messages WHERE conversation_id = ? ORDER BY seq',
      [before.conversationId],
    );
    expect(history.map((h) => h.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await members()).toEqual(joined);
  });
});
