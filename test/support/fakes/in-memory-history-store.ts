import type { ChatMessageEnvelope } from '../../../src/domain/chat-message-envelope';
import type { ConsumedEvent, HistoryStore, PoisonRecord } from '../../../src/domain/ports/history-store';

export interface InMemoryHistoryStore extends HistoryStore {
  /** History rows in insertion order. */
  readonly history: readonly ChatMessageEnvelope[];
  /** Every persist call's events, as handed over. */
  readonly persistCalls: readonly (readonly ConsumedEvent[])[];
  /** Poison records of successful persist calls. */
  readonly poison: readonly PoisonRecord[];
  /** The next `times` persist calls reject with `error` and write nothing (poison marks included). */
  failNextPersists(times: number, error?: Error): void;
}

/** History keyed by event id and message id: a copy of either already stored inserts nothing. */
export const createInMemoryHistoryStore = (): InMemoryHistoryStore => {
  const history: ChatMessageEnvelope[] = [];
  const persistCalls: ConsumedEvent[][] = [];
  const poison: PoisonRecord[] = [];
  let failures: { remaining: number; error: Error } = { remaining: 0, error: new Error('unused') };
  return {
    history,
    persistCalls,
    poison,
    failNextPersists(times, error = new Error('database unavailable')) {
      failures = { remaining: times, error };
    },
    async persist({ events, poison: poisonRecords = [] }) {
      persistCalls.push([...events]);
      if (failures.remaining > 0) {
        failures.remaining -= 1;
        throw failures.error;
      }
      poison.push(...poisonRecords);
      // Like the real store: a second event for a message already stored is a duplicate too.
      const known = new Set(history.flatMap((e) => [e.eventId, e.payload.messageId]));
      const insertedEventIds = new Set<string>();
      for (const { envelope } of events) {
        if (known.has(envelope.eventId) || known.has(envelope.payload.messageId)) continue;
        known.add(envelope.eventId).add(envelope.payload.messageId);
        history.push(envelope);
        insertedEventIds.add(envelope.eventId);
      }
      return { inserted: insertedEventIds.size, duplicates: events.length - insertedEventIds.size, insertedEventIds };
    },
  };
};
