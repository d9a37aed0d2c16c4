import type { OutboxMessage } from '../outbox-message';

export interface PublishFailure {
  readonly error: string;
  /**
   * The record can never be published as it is (too large, invalid, unserialisable): no point
   * retrying. False: the error is unclassified (or the row is held back behind one); whether the
   * row pays an attempt for it is the relay plan's decision (planRelayOutcome).
   */
  readonly permanent: boolean;
}

/** Where the broker appended an acknowledged record. Offsets stay below 2^53 in any real log. */
export interface LogPosition {
  readonly partition: number;
  readonly offset: number;
}

export interface PublishResult {
  /** Rows the broker acknowledged (acks = all), with where it put them when it said so. */
  readonly acknowledged: ReadonlyMap<string, LogPosition | null>;
  /** Rows that failed for a reason of their own, or are held back behind such a row: each pays an attempt or waits. */
  readonly failures: ReadonlyMap<string, PublishFailure>;
  /**
   * Set when the broker itself failed (unreachable, no leader, refusing this client, topic
   * missing): the reason. Rows in neither map were not published and are not to blame.
   */
  readonly unavailable?: string;
}

/**
 * Sends outbox rows to the log.
 * Guarantee: rows of one aggregate are sent in the given order; a row is in `acknowledged`
 * only if the broker acknowledged it; a failure of one aggregate's row does not fail other
 * aggregates' rows; a broker-wide failure blames no row (`unavailable`).
 */
export interface EventPublisher {
  publish(messages: readonly OutboxMessage[]): Promise<PublishResult>;
}
