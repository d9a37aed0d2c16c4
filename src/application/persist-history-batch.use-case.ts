import { decodeEnvelope } from '../domain/chat-event';
import type { Clock } from '../domain/ports/clock';
import type { ConsumedEvent, HistoryStore, PoisonRecord } from '../domain/ports/history-store';
import type { Logger } from '../domain/ports/logger';

/** A log record as the consumer hands it over: no Kafka types past this line. */
export interface RawRecord {
  readonly value: string | null;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly partition: number;
  readonly offset: string;
}

export interface PersistHistorySummary {
  inserted: number;
  duplicates: number;
  poison: number;
}

/**
 * Applies one batch of records to history. Decoding comes first: a record that cannot be
 * decoded is logged with partition and offset, its outbox row (when the headers name it)
 * is marked DEAD with the reason, and the rest of the batch goes on. Valid records are
 * persisted in one transaction, where the unique event id turns copies into no-ops.
 */
export const createPersistHistoryBatch =
  (deps: { store: HistoryStore; clock: Clock; logger: Logger }) =>
  async (records: readonly RawRecord[]): Promise<PersistHistorySummary> => {
    const events: ConsumedEvent[] = [];
    const poison: PoisonRecord[] = [];
    for (const record of records) {
      const decoded = decodeEnvelope(record.value);
      const outboxId = record.headers['outbox-id'];
      if (decoded.ok) {
        events.push({ envelope: decoded.envelope, ...(outboxId ? { outboxId } : {}) });
        continue;
      }
      deps.logger.warn({ partition: record.partition, offset: record.offset, reason: decoded.reason, eventId: record.headers['event-id'] }, 'poison record skipped');
      poison.push({ reason: `poison: ${decoded.reason}`, eventId: record.headers['event-id'], outboxId });
    }
    const now = deps.clock.now();
    const persisted = events.length > 0 ? await deps.store.persist({ events, now }) : { inserted: 0, duplicates: 0 };
    if (poison.length > 0) await deps.store.markPoison({ records: poison, now });
    return { ...persisted, poison: poison.length };
  };

export type PersistHistoryBatch = ReturnType<typeof createPersistHistoryBatch>;
