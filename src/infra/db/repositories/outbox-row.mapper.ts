import type { OutboxMessage } from '../../../domain/outbox-message';
import type { OutboxStatus } from '../../../domain/outbox-status';

/** Columns the relay reads, in the raw SQL it runs. */
export const OUTBOX_COLUMNS =
  'id, event_id, aggregate_id, aggregate_seq, event_type, topic, payload, headers, status, attempts, max_attempts, next_attempt_at, last_error, created_at';

export interface OutboxRow {
  id: number | bigint | string;
  event_id: string;
  aggregate_id: string;
  aggregate_seq: number;
  event_type: string;
  topic: string;
  payload: unknown;
  headers: unknown;
  status: OutboxStatus;
  attempts: number;
  max_attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
}

/** Raw JSON columns arrive parsed from the MariaDB driver and as text from MySQL's. */
export const json = <T>(value: unknown): T => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T));

export const toOutboxMessage = (row: OutboxRow): OutboxMessage => ({
  id: String(row.id),
  eventId: row.event_id,
  aggregateId: row.aggregate_id,
  aggregateSeq: Number(row.aggregate_seq),
  eventType: row.event_type,
  topic: row.topic,
  payload: json<Record<string, unknown>>(row.payload),
  headers: json<Record<string, string>>(row.headers),
  status: row.status,
  attempts: Number(row.attempts),
  maxAttempts: Number(row.max_attempts),
  nextAttemptAt: new Date(row.next_attempt_at),
  lastError: row.last_error,
  createdAt: new Date(row.created_at),
});
