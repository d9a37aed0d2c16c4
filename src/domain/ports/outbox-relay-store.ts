import type { LostRange } from '../lost-records';
import type { OutboxMessage } from '../outbox-message';
import type { LogPosition } from './event-publisher';
import type { FailureDecision } from '../retry-policy';

/** A batch claimed by one relay. The token fences every later write about it. */
export interface Claim {
  readonly token: string;
  readonly messages: readonly OutboxMessage[];
}

export interface RowFailure {
  readonly id: string;
  readonly decision: FailureDecision;
  readonly error: string;
}

/**
 * The relay's side of the outbox.
 * Guarantees: every write names the states it may leave and the claim token it holds,
 * and reports how many rows it really changed; nothing here talks to Kafka.
 */
export interface OutboxRelayStore {
  /**
   * Claims up to `batchSize` due PENDING rows in id order (FOR UPDATE SKIP LOCKED), skipping
   * any row whose conversation has an earlier PENDING row outside this claim, so one
   * conversation's rows leave in sequence order. Stamps owner, lease expiry and a new token.
   */
  claim(input: { owner: string; batchSize: number; leaseMs: number; now: Date }): Promise<Claim>;
  /** Whether any PENDING row is due and unleased: one cheap read, no transaction, no locks. */
  hasDue(now: Date): Promise<boolean>;
  /** PENDING → PUBLISHED for rows this claim still owns, recording where the broker put each (null when not known); returns the count changed. */
  markPublished(input: {
    token: string;
    ids: readonly string[];
    now: Date;
    positions?: ReadonlyMap<string, LogPosition | null>;
  }): Promise<number>;
  /** Records failed attempts (retry with backoff, or DEAD) for rows this claim still owns. */
  recordFailures(input: { token: string; failures: readonly RowFailure[]; now: Date }): Promise<number>;
  /** Drops the claim on rows without counting an attempt (held back behind an earlier failure). */
  release(input: { token: string; ids: readonly string[] }): Promise<number>;
  /** Topics of PUBLISHED rows published before `publishedBefore` that carry a log position. */
  sweepTopics(publishedBefore: Date): Promise<string[]>;
  /**
   * PUBLISHED rows published before `publishedBefore` go back to PENDING (due `now`, position
   * cleared) when lost: rows without a position by that age alone (`unrecorded`), rows with one
   * only when it falls in `lost` (`lost`; undefined = the log's state is unknown, keep them all).
   * Expired claims are cleared (`released`). At most `limit` rows per step.
   */
  sweep(input: {
    publishedBefore: Date;
    now: Date;
    limit: number;
    lost: readonly LostRange[] | undefined;
  }): Promise<{ unrecorded: number; lost: number; released: number }>;
  /** Deletes up to `limit` CONSUMED rows consumed before `consumedBefore`. */
  deleteConsumed(input: { consumedBefore: Date; limit: number }): Promise<number>;
}
