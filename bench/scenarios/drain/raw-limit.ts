import { Partitioners } from 'kafkajs';
import type { AppConfig } from '../../../src/config';
import { decodeEnvelope, encodeEnvelope, type ChatMessageEnvelope } from '../../../src/domain/chat-message-envelope';
import type { OutboxMessage } from '../../../src/domain/outbox-message';
import {
  CHAT_MESSAGE_INSERT_COLUMNS,
  toChatMessageValues,
  toOutboxMessage,
  OUTBOX_COLUMNS,
  type OutboxRow,
} from '../../../src/tooling';
import { benchKafka, createTopic, deleteTopicsAndGroups } from '../../lib/kafka';
import type { Progress } from '../../lib/progress';
import type { Scope } from '../../lib/scope';
import type { Sql } from '../../lib/sql';
import { sleep } from '../../lib/stats';

/**
 * (c) The raw limit of the same work, each step timed alone on an idle pipeline: batched
 * INSERTs of the N history rows into a fresh table, one producer sending the N envelopes in
 * batches (same producer settings as the relay), one consumer reading them back.
 */
const BATCH = 1000;
/** Decoded before the clock starts: only the inserts are timed. */
const envelopeOf = (m: OutboxMessage) => {
  const decoded = decodeEnvelope(encodeEnvelope(m).value);
  if (!decoded.ok) throw new Error(`outbox row ${m.id} is not a chat message: ${decoded.reason}`);
  return decoded.envelope;
};

const chunks = <T>(items: readonly T[], size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

const timeInserts = async (sql: Sql, envelopes: readonly ChatMessageEnvelope[]) => {
  await sql.run('DROP TABLE IF EXISTS bench_raw_history');
  await sql.run('CREATE TABLE bench_raw_history LIKE chat_messages');
  const started = performance.now();
  const row = `(${CHAT_MESSAGE_INSERT_COLUMNS.map(() => '?').join(', ')})`;
  for (const batch of chunks(envelopes, BATCH)) {
    const values = batch.map(() => row).join(', ');
    await sql.run(
      `INSERT INTO bench_raw_history (${CHAT_MESSAGE_INSERT_COLUMNS.join(', ')}) VALUES ${values}`,
      batch.flatMap((e) => toChatMessageValues(e, new Date())),
    );
  }
  const ms = performance.now() - started;
  await sql.run('DROP TABLE bench_raw_history');
  return ms;
};

export const rawLimit = async (input: { scope: Scope; config: AppConfig; sql: Sql; progress: Progress }) => {
  const { kafka: kafkaConfig } = input.config;
  const topic = `${kafkaConfig.topic}-raw`;
  const groupId = `${kafkaConfig.groupId}-raw`;
  input.scope.defer('delete raw topic/group', () => deleteTopicsAndGroups(kafkaConfig, [topic], [groupId]));
  const rows = await input.sql.query<OutboxRow>(`SELECT ${OUTBOX_COLUMNS} FROM outbox_messages ORDER BY id`);
  const messages = rows.map(toOutboxMessage);
  const n = messages.length;

  input.progress.log(`(c) raw limit: inserting ${n} history rows, batches of ${BATCH}`);
  const insertMs = await timeInserts(input.sql, messages.map(envelopeOf));

  await createTopic(kafkaConfig, topic);
  const kafka = benchKafka(kafkaConfig, 'agent-relay-bench-raw');
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  input.scope.defer('disconnect raw producer', () => producer.disconnect());
  await producer.connect();
  const envelopes = messages.map(encodeEnvelope);
  input.progress.log(`(c) raw limit: producing ${n} envelopes`);
  const produceStarted = performance.now();
  for (const batch of chunks(envelopes, BATCH))
    await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: batch }] });
  const produceMs = performance.now() - produceStarted;
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  input.scope.defer('disconnect raw consumer', () => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let read = 0;
  const consumeStarted = performance.now();
  await consumer.run({ eachBatch: async ({ batch }) => void (read += batch.messages.length) });
  await input.progress.during(
    '(c) raw consumer',
    () => `${read}/${n} read`,
    async () => {
      while (read < n && performance.now() - consumeStarted < 120_000) await sleep(5);
    },
  );
  const consumeMs = performance.now() - consumeStarted;
  await consumer.disconnect();
  const totalMs = insertMs + produceMs + consumeMs;
  return { rows: n, read, insertMs, produceMs, consumeMs, totalMs, msgPerSec: n / (totalMs / 1000) };
};
