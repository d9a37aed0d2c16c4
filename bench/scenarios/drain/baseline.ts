import type { Consumer, Producer } from 'kafkajs';
import type { AppConfig } from '../../../src/config';
import { decodeEnvelope, encodeEnvelope } from '../../../src/domain/chat-message-envelope';
import {
  CHAT_MESSAGE_INSERT_COLUMNS,
  toChatMessageValues,
  toOutboxMessage,
  OUTBOX_COLUMNS,
  type OutboxRow,
} from '../../../src/tooling';
import { benchKafka, createTopic } from '../../lib/kafka';
import type { Progress } from '../../lib/progress';
import type { Scope } from '../../lib/scope';
import type { Sql } from '../../lib/sql';
import { sleep } from '../../lib/stats';

/**
 * (b) The seed-style design the product replaced, written here as the baseline: a poller that
 * every second selects 100 due rows, publishes each with its own synchronous send (acks -1)
 * and marks it with its own UPDATE; a consumer that handles one record per transaction
 * (insert history + mark the outbox row), with kafkajs auto-commit.
 */
const POLL_EVERY_MS = 1000;
const POLL_LIMIT = 100;

const HISTORY_INSERT = `INSERT INTO chat_messages (${CHAT_MESSAGE_INSERT_COLUMNS.join(', ')}) VALUES (${CHAT_MESSAGE_INSERT_COLUMNS.map(() => '?').join(', ')})`;

const relayLoop = async (deps: {
  sql: Sql;
  producer: Producer;
  topic: string;
  stopped: () => boolean;
  onPublished: () => void;
}) => {
  while (!deps.stopped()) {
    const started = Date.now();
    const rows = await deps.sql.query<OutboxRow>(
      `SELECT ${OUTBOX_COLUMNS} FROM outbox_messages WHERE status = 'PENDING' AND next_attempt_at <= ? ORDER BY id LIMIT ${POLL_LIMIT}`,
      [new Date()],
    );
    for (const row of rows) {
      if (deps.stopped()) return;
      await deps.producer.send({ topic: deps.topic, acks: -1, messages: [encodeEnvelope(toOutboxMessage(row))] });
      await deps.sql.run(
        "UPDATE outbox_messages SET status = 'PUBLISHED', published_at = ? WHERE id = ? AND status = 'PENDING'",
        [new Date(), row.id],
      );
      deps.onPublished();
    }
    await sleep(Math.max(0, POLL_EVERY_MS - (Date.now() - started)));
  }
};

const startConsumer = async (deps: { consumer: Consumer; sql: Sql; topic: string; onConsumed: () => void }) => {
  await deps.consumer.connect();
  await deps.consumer.subscribe({ topic: deps.topic, fromBeginning: true });
  await deps.consumer.run({
    eachMessage: async ({ message }) => {
      const decoded = decodeEnvelope(message.value?.toString('utf8') ?? null);
      if (!decoded.ok) return;
      const e = decoded.envelope;
      await deps.sql.transaction(async (tx) => {
        await tx.run(HISTORY_INSERT, toChatMessageValues(e, new Date()));
        await tx.run(
          "UPDATE outbox_messages SET status = 'CONSUMED', consumed_at = ? WHERE event_id = ? AND status = 'PUBLISHED'",
          [new Date(), e.eventId],
        );
      });
      deps.onConsumed();
    },
  });
};

export const drainWithBaseline = async (input: {
  scope: Scope;
  config: AppConfig;
  sql: Sql;
  rows: number;
  capMs: number;
  progress: Progress;
}) => {
  const { topic, groupId } = { topic: input.config.kafka.topic, groupId: input.config.kafka.groupId };
  await createTopic(input.config.kafka, topic);
  const kafka = benchKafka(input.config.kafka, 'agent-relay-bench-baseline');
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  input.scope.defer('disconnect baseline producer', () => producer.disconnect());
  input.scope.defer('disconnect baseline consumer', () => consumer.disconnect());
  await producer.connect();
  let published = 0;
  let consumed = 0;
  let stop = false;
  const t0 = Date.now();
  await startConsumer({ consumer, sql: input.sql, topic, onConsumed: () => (consumed += 1) });
  let failure: unknown;
  const relay = relayLoop({
    sql: input.sql,
    producer,
    topic,
    stopped: () => stop,
    onPublished: () => (published += 1),
  }).catch((error: unknown) => void (failure = error));
  // Interrupted (Ctrl-C), the loop must end before its producer disconnects.
  input.scope.defer('stop baseline relay loop', async () => {
    stop = true;
    await relay;
  });
  await input.progress.during(
    'drain (b) baseline',
    () => `published ${published}, consumed ${consumed} of ${input.rows}`,
    async () => {
      while (Date.now() - t0 < input.capMs && consumed < input.rows && !failure) await sleep(100);
    },
  );
  stop = true;
  const elapsedMs = Date.now() - t0;
  const consumedAtCap = consumed;
  await relay;
  await consumer.stop();
  if (failure) throw failure;
  return {
    capMs: input.capMs,
    elapsedMs,
    published,
    consumed: consumedAtCap,
    msgPerSec: consumedAtCap / (elapsedMs / 1000),
    completed: consumedAtCap >= input.rows,
  };
};
