import type { OutboxMessage } from '../outbox-message';
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
  /** PENDING → PUBLISHED for rows this claim still owns; returns the count changed. */
  markPublished(input: { token: string; ids: readonly string[]; now: Date }): Promise<number>;
  /** Records failed attempts (retry with backoff, or DEAD) for rows this claim still owns. */
  recordFailures(input: { token: string; failures: readonly RowFailure[]; now: Date }): Promise<number>;
  /** Drops the claim on rows without counting an attempt (held back behind an earlier failure). */
  release(input: { token: string; ids: readonly string[] }): Promise<number>;
  /** PUBLISHED rows not consumed since `publishedBefore` go back to PENDING; expired claims are cleared. */
  sweep(input: { publishedBefore: Date; now: Date; limit: number }): Promise<{ requeued: number; released: number }>;
  /** Deletes up to `limit` CONSUMED rows consumed before `consumedBefore`. */
  deleteConsumed(input: { consumedBefore: Date; limit: number }): Promise<number>;
}
