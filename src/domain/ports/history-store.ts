import type { ChatMessageEnvelope } from '../chat-message-envelope';

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
 * Guarantee: `persist` is one transaction for the whole batch: history rows, CONSUMED marks
 * and the DEAD marks of its poison records commit together or not at all, so nobody sees a
 * later record consumed while an earlier poison record of the batch still looks pending.
 * A redelivered event (same event id) inserts nothing and counts nothing, so applying a
 * batch twice equals applying it once.
 */
export interface HistoryStore {
  persist(input: {
    events: readonly ConsumedEvent[];
    /** Records that could not be decoded: their identifiable outbox rows become DEAD with the reason. */
    poison?: readonly PoisonRecord[];
    now: Date;
  }): Promise<PersistOutcome>;
}

export interface PersistOutcome {
  inserted: number;
  duplicates: number;
  /** The event ids really inserted: lets a merged write be split back per batch. */
  insertedEventIds: ReadonlySet<string>;
}
