import type { OutboxStatus } from './outbox-status';

/** What a writer hands to the outbox; the repository fills in status and bookkeeping. */
export interface NewOutboxMessage {
  readonly eventId: string;
  /** The conversation id: the Kafka key, so one conversation stays on one partition. */
  readonly aggregateId: string;
  /** The conversation's sequence number, assigned in the writer's transaction. */
  readonly aggregateSeq: number;
  readonly eventType: string;
  readonly topic: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly maxAttempts: number;
  readonly createdAt: Date;
}

/**
 * An outbox row as the inner layers see it (the ORM entity never leaves infra). The payload is
 * the JSON text the row stores: the relay publishes it as it is, so nothing on that path parses
 * it and serialises it again.
 */
export interface OutboxMessage extends Omit<NewOutboxMessage, 'payload'> {
  readonly id: string;
  readonly payloadJson: string;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastError: string | null;
}

/** Errors are stored bounded so one huge broker message cannot bloat the table. */
export const MAX_ERROR_LENGTH = 1000;
export const boundError = (message: string) =>
  message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH - 1)}…` : message;
