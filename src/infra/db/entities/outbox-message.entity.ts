import { EntitySchema } from '@mikro-orm/core';
import { MAX_ERROR_LENGTH } from '../../../domain/outbox-message';
import { OUTBOX_STATUSES, type OutboxStatus } from '../../../domain/outbox-status';
import { NO_POSITION, NO_TIME } from '../tables/outbox-messages.table';

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
  // A new row's "none" values, set here: the times have no column default (migration
  // 20261207150000 says why), and MikroORM would read back after the insert every property with a
  // database default that the entity left unset.
  /** '' when unclaimed (the columns the relay and consumer rewrite hold no NULL: see the table's NO_* values). */
  claimOwner = '';
  claimExpiresAt = new Date(NO_TIME);
  claimToken = '';
  lastError!: string | null;
  createdAt!: Date;
  publishedAt = new Date(NO_TIME);
  consumedAt = new Date(NO_TIME);
  deadAt!: Date | null;
  replayedBy!: string | null;
  replayedAt!: Date | null;
  replayReason!: string | null;
  discardedBy!: string | null;
  discardedAt!: Date | null;
  discardReason!: string | null;
  /** Where the broker put the row when it was last published (NO_POSITION before, or when it did not say). */
  kafkaPartition = NO_POSITION;
  kafkaOffset = String(NO_POSITION);
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
    // The columns from status on that the relay and consumer rewrite keep one size (an ENUM, no
    // NULL, CHAR not VARCHAR), so InnoDB updates them in place: migration 20261207150000 says why.
    status: { enum: true, items: () => [...OUTBOX_STATUSES] },
    attempts: { type: 'integer', unsigned: true, default: 0 },
    maxAttempts: { type: 'integer', unsigned: true },
    nextAttemptAt: { type: 'datetime', length: 3 },
    claimOwner: { type: 'string', columnType: 'char(100)', default: '' },
    claimExpiresAt: { type: 'datetime', length: 3 },
    claimToken: { type: 'string', columnType: 'char(36)', default: '' },
    lastError: { type: 'string', length: MAX_ERROR_LENGTH, nullable: true },
    createdAt: { type: 'datetime', length: 3 },
    publishedAt: { type: 'datetime', length: 3 },
    consumedAt: { type: 'datetime', length: 3 },
    deadAt: { type: 'datetime', length: 3, nullable: true },
    replayedBy: { type: 'string', length: 64, nullable: true },
    replayedAt: { type: 'datetime', length: 3, nullable: true },
    replayReason: { type: 'string', length: 500, nullable: true },
    discardedBy: { type: 'string', length: 64, nullable: true },
    discardedAt: { type: 'datetime', length: 3, nullable: true },
    discardReason: { type: 'string', length: 500, nullable: true },
    kafkaPartition: { type: 'integer', default: NO_POSITION },
    kafkaOffset: { type: 'bigint', default: NO_POSITION },
  },
});
