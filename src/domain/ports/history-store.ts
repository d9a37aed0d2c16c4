import type { ChatMessageEnvelope } from '../chat-event';

export interface ConsumedEvent {
  readonly envelope: ChatMessageEnvelope;
  /** The outbox row id from the record's headers, when present: lets the update use the primary key. */
  readonly outboxId?: string;
}

export interface PoisonRecord {
  readonly eventId?: string;
  readonly outboxId?: string;
  readonly reason: string;
}

/**
 * Durable history.
 * Guarantee: `persist` is one transaction; a redelivered event (same event id) inserts nothing
 * and counts nothing, so applying a batch twice equals applying it once.
 */
export interface HistoryStore {
  persist(input: { events: readonly ConsumedEvent[]; now: Date }): Promise<{ inserted: number; duplicates: number }>;
  /** Marks the identifiable outbox rows of poison records DEAD with their reason. */
  markPoison(input: { records: readonly PoisonRecord[]; now: Date }): Promise<number>;
}
