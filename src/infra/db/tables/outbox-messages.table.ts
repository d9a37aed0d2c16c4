import type { OutboxMessage } from '../../../domain/outbox-message';
import type { OutboxStatus } from '../../../domain/outbox-status';
import type { OutboxRecord } from '../../../domain/ports/outbox-admin-store';
import { fromDatetime } from './datetime';

/**
 * outbox_messages as raw SQL reads it: the columns each reader selects and how a row maps to the
 * domain. The ORM entity (entities/outbox-message.entity.ts) owns the schema and the writer's insert.
 *
 * The payload is selected as text: the MariaDB driver would parse a JSON column, and the relay
 * would only serialise it again to publish it. Cast, it arrives as the JSON the writer stored.
 */
export const OUTBOX_COLUMNS =
  'id, event_id, aggregate_id, aggregate_seq, event_type, topic, CAST(payload AS CHAR) AS payload, headers, status, attempts, max_attempts, next_attempt_at, last_error, created_at';

/**
 * "None" in the columns the relay and consumer rewrite, which hold no NULL so that every update
 * keeps the row's size (migration 20261207150000): a time that never happened is the epoch
 * (before any now, so an unclaimed row reads as a claim long expired), a log position that is
 * unknown is -1, an unclaimed row's owner and token are ''. Reads map them back to null.
 */
export const NO_TIME = new Date(0);
export const NO_TIME_SQL = `'1970-01-01 00:00:00.000'`;
export const NO_POSITION = -1;
/** A stamp column in SQL with "never" as NULL again (for MIN, COUNT, DISTINCT and IS NULL by hand). */
export const stampSql = (column: string) => `NULLIF(${column}, ${NO_TIME_SQL})`;
/** A row some relay holds under lease (or held until its lease ran out): its claim expiry is a real time. */
export const CLAIMED_SQL = `claim_expires_at > ${NO_TIME_SQL}`;

/** Everything ops see of a row: the relay's columns plus its history (who replayed or discarded it, where it was published). */
export const OUTBOX_RECORD_COLUMNS = `${OUTBOX_COLUMNS}, published_at, consumed_at, dead_at, replayed_by, replayed_at, replay_reason, discarded_by, discarded_at, discard_reason, kafka_partition, kafka_offset`;

export interface OutboxRow {
  id: number | bigint | string;
  event_id: string;
  aggregate_id: string;
  aggregate_seq: number;
  event_type: string;
  topic: string;
  payload: string;
  headers: unknown;
  status: OutboxStatus;
  attempts: number;
  max_attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
}

export interface OutboxRecordRow extends OutboxRow {
  /** NO_TIME when it never happened. */
  published_at: Date;
  consumed_at: Date;
  dead_at: Date | null;
  replayed_by: string | null;
  replayed_at: Date | null;
  replay_reason: string | null;
  discarded_by: string | null;
  discarded_at: Date | null;
  discard_reason: string | null;
  /** NO_POSITION when unknown. */
  kafka_partition: number;
  /** BIGINT: kept as text, a 64-bit offset does not fit a JS number. */
  kafka_offset: string | number | bigint;
}

/** Raw JSON columns arrive parsed from the MariaDB driver and as text from MySQL's. */
export const json = <T>(value: unknown): T => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T));

const dateOrNull = (value: Date | string | null) => (value === null ? null : fromDatetime(value));
/** A stamp column: NO_TIME means it never happened. */
const stampOrNull = (value: Date | string) => {
  const at = fromDatetime(value);
  return at.getTime() === NO_TIME.getTime() ? null : at;
};
const positionOrNull = <T>(value: number | string | bigint, as: (value: number | string | bigint) => T) =>
  Number(value) === NO_POSITION ? null : as(value);

export const toOutboxMessage = (row: OutboxRow): OutboxMessage => ({
  id: String(row.id),
  eventId: row.event_id,
  aggregateId: row.aggregate_id,
  aggregateSeq: Number(row.aggregate_seq),
  eventType: row.event_type,
  topic: row.topic,
  payloadJson: String(row.payload),
  headers: json<Record<string, string>>(row.headers),
  status: row.status,
  attempts: Number(row.attempts),
  maxAttempts: Number(row.max_attempts),
  nextAttemptAt: fromDatetime(row.next_attempt_at),
  lastError: row.last_error,
  createdAt: fromDatetime(row.created_at),
});

/** The ops view: the relay's fields under the names ops use, the payload parsed, and the row's history. */
export const toOutboxRecord = (row: OutboxRecordRow): OutboxRecord => {
  const { aggregateId, aggregateSeq, payloadJson, ...message } = toOutboxMessage(row);
  return {
    ...message,
    conversationId: aggregateId,
    seq: aggregateSeq,
    payload: json(payloadJson),
    publishedAt: stampOrNull(row.published_at),
    consumedAt: stampOrNull(row.consumed_at),
    deadAt: dateOrNull(row.dead_at),
    replayedBy: row.replayed_by,
    replayedAt: dateOrNull(row.replayed_at),
    replayReason: row.replay_reason,
    discardedBy: row.discarded_by,
    discardedAt: dateOrNull(row.discarded_at),
    discardReason: row.discard_reason,
    kafkaPartition: positionOrNull(row.kafka_partition, Number),
    kafkaOffset: positionOrNull(row.kafka_offset, String),
  };
};
