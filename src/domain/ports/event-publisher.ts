import type { OutboxMessage } from '../outbox-message';

export interface PublishFailure {
  readonly error: string;
  /** The row can never be published as it is (too large, invalid topic): no point retrying. */
  readonly permanent: boolean;
}

/**
 * Sends outbox rows to the log.
 * Guarantee: rows of one aggregate are sent in the given order, and a row is missing from
 * `failures` only if the broker acknowledged it (acks = all). A failure of one aggregate's
 * row does not fail other aggregates' rows unless the broker itself is unavailable.
 */
export interface EventPublisher {
  publish(messages: readonly OutboxMessage[]): Promise<{ failures: ReadonlyMap<string, PublishFailure> }>;
}
