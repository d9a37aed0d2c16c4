import { EntitySchema } from '@mikro-orm/core';
import { MAX_ERROR_LENGTH } from '../../../domain/outbox-message';
import type { OutboxStatus } from '../../../domain/outbox-status';

/** ORM row for the transactional outbox. Hot statements on it are raw SQL in the repository. */
export class OutboxMessageEntity {
  id!: string;
  eventId!: string;
  aggregateId!: string;
  aggregateSeq!: number;
  eventType!: string;
  topic!: string;
  payload!: Record<string, unknown>;
  headers!: Record<string, string>;
  status!: OutboxStatus;
  attempts!: number;
  maxAttempts!: number;
  nextAttemptAt!: Date;
  claimOwner!: string | null;
  claimExpiresAt!: Date | null;
  claimToken!: string | null;
  lastError!: string | null;
  createdAt!: Date;
  publishedAt!: Date | null;
  consumedAt!: Date | null;
  deadAt!: Date | null;
  replayedBy!: string | null;
  replayedAt!: Date | null;
  replayReason!: string | null;
  discardedBy!: string | null;
  discardedAt!: Date | null;
  discardReason!: string | null;
  /** Where the broker put the row when it was last published (null before, or when it did not say). */
  kafkaPartition!: number | null;
  kafkaOffset!: string | null;
}

export const OutboxMessageSchema = new EntitySchema<OutboxMessageEntity>({
  class: OutboxMessageEntity,
  tableName: 'outbox_messages',
  uniques: [{ name: 'outbox_event_id_uq', properties: ['eventId'] }],
  indexes: [
    // The relay's claim: WHERE status = 'PENDING' AND next_attempt_at <= ? ORDER BY id.
    // Leading with status and ordering by id lets InnoDB walk the index in claim order,
    // so SKIP LOCKED skips only locked rows instead of locking every match (filesort).
    { name: 'outbox_claim_idx', properties: ['status', 'id'] },
    // Per-conversation ordering: seek straight to a conversation's PENDING rows, lowest seq first.
    { name: 'outbox_aggregate_status_seq_idx', properties: ['aggregateId', 'status', 'aggregateSeq'] },
    // No other status-led index: every status change rewrites an entry in each of them (a row
    // changes status twice), which cost MariaDB about a sixth of the relay's and consumer's
    // update work (bench/experiments/outbox-update-cost.sh). Ops listing, the oldest-pending
    // gauge, the sweeper and retention walk outbox_claim_idx in id order instead: ids are
    // handed out in commit order, so id order is creation order.
  ],
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true, unsigned: true },
    eventId: { type: 'string', columnType: 'char(36)' },
    aggregateId: { type: 'string', columnType: 'char(36)' },
    aggregateSeq: { type: 'integer', unsigned: true },
    eventType: { type: 'string', length: 64 },
    topic: { type: 'string', length: 249 },
    payload: { type: 'json' },
    headers: { type: 'json' },
    status: { type: 'string', length: 16 },
    attempts: { type: 'integer', unsigned: true, default: 0 },
    maxAttempts: { type: 'integer', unsigned: true },
    nextAttemptAt: { type: 'datetime', length: 3 },
    claimOwner: { type: 'string', length: 100, nullable: true },
    claimExpiresAt: { type: 'datetime', length: 3, nullable: true },
    claimToken: { type: 'string', columnType: 'char(36)', nullable: true },
    lastError: { type: 'string', length: MAX_ERROR_LENGTH, nullable: true },
    createdAt: { type: 'datetime', length: 3 },
    publishedAt: { type: 'datetime', length: 3, nullable: true },
    consumedAt: { type: 'datetime', length: 3, nullable: true },
    deadAt: { type: 'datetime', length: 3, nullable: true },
    replayedBy: { type: 'string', length: 64, nullable: true },
    replayedAt: { type: 'datetime', length: 3, nullable: true },
    replayReason: { type: 'string', length: 500, nullable: true },
    discardedBy: { type: 'string', length: 64, nullable: true },
    discardedAt: { type: 'datetime', length: 3, nullable: true },
    discardReason: { type: 'string', length: 500, nullable: true },
    kafkaPartition: { type: 'integer', unsigned: true, nullable: true },
    kafkaOffset: { type: 'bigint', unsigned: true, nullable: true },
  },
});
