import type { OutboxStatus } from '../outbox-status';
import type { Page } from '../chat/views';

/** An outbox row with everything ops need to judge it. */
export interface OutboxRecord {
  readonly id: string;
  readonly eventId: string;
  readonly conversationId: string;
  readonly seq: number;
  readonly eventType: string;
  readonly topic: string;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly nextAttemptAt: Date;
  readonly lastError: string | null;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly createdAt: Date;
  readonly publishedAt: Date | null;
  readonly consumedAt: Date | null;
  readonly deadAt: Date | null;
  readonly replayedBy: string | null;
  readonly replayedAt: Date | null;
  readonly replayReason: string | null;
  readonly discardedBy: string | null;
  readonly discardedAt: Date | null;
  readonly discardReason: string | null;
  /** Where the broker put the row when last published (offset as text: it is a 64-bit number). */
  readonly kafkaPartition: number | null;
  readonly kafkaOffset: string | null;
}

export interface OutboxFilter {
  readonly status?: OutboxStatus;
  readonly conversationId?: string;
  readonly eventType?: string;
  readonly createdAfter?: Date;
  readonly createdBefore?: Date;
}

export interface OutboxStatsReport {
  readonly counts: Readonly<Record<OutboxStatus, number>>;
  readonly oldestPendingAgeSeconds: number | null;
  /** Publish lag (published − created) over rows published in the last five minutes. */
  readonly publishLagSecondsP50: number | null;
  readonly publishLagSecondsMax: number | null;
}

export interface OpsAction {
  readonly actor: string;
  readonly reason: string | null;
  readonly now: Date;
}

/**
 * The ops side of the outbox. Replay (DEAD → PENDING, attempts reset) and discard
 * (DEAD → DISCARDED) are guarded updates that record who, when and why.
 */
export interface OutboxAdminStore {
  /** Newest first; `after` is the last row of the previous page (id order breaks ties). */
  list(input: { filter: OutboxFilter; first: number; after?: string }): Promise<Page<OutboxRecord>>;
  get(id: string): Promise<OutboxRecord | null>;
  stats(now: Date): Promise<OutboxStatsReport>;
  replay(id: string, action: OpsAction): Promise<boolean>;
  replayMany(filter: OutboxFilter, limit: number, action: OpsAction): Promise<number>;
  discard(id: string, action: OpsAction): Promise<boolean>;
}
