import { decodeEnvelope, ENVELOPE_HEADERS } from '../domain/chat-message-envelope';
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

/** The trace id (32 hex) of a W3C traceparent header, when there is a well-formed one. */
const traceIdOf = (traceparent: string | undefined) =>
  /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '')?.[1];

/**
 * One debug line per message, so a request's trace id (from the writer's traceparent) leads
 * to the moment its messages reached history. The store reports counts, not ids: when a
 * batch mixes new messages with copies, its lines say the message may be a duplicate.
 */
const logPersisted = (
  logger: Logger,
  events: readonly ConsumedEvent[],
  traceparents: readonly (string | undefined)[],
  inserted: number,
) => {
  if (inserted === 0) return;
  const possibleDuplicate = inserted < events.length;
  events.forEach(({ envelope }, index) => {
    const traceId = traceIdOf(traceparents[index]);
    logger.debug(
      {
        traceId,
        eventId: envelope.eventId,
        conversationId: envelope.conversationId,
        seq: envelope.seq,
        ...(possibleDuplicate ? { possibleDuplicate } : {}),
      },
      'history message persisted',
    );
  });
};

/**
 * Applies one batch of records to history. Decoding comes first: a record that cannot be
 * decoded is logged with partition and offset, its outbox row (when the headers name it)
 * is marked DEAD with the reason, and the rest of the batch goes on. Everything lands in
 * one transaction, where the unique event id turns copies into no-ops.
 */
export const createPersistHistoryBatch =
  (deps: { store: HistoryStore; clock: Clock; logger: Logger }) =>
  async (records: readonly RawRecord[]): Promise<PersistHistorySummary> => {
    const events: ConsumedEvent[] = [];
    const traceparents: (string | undefined)[] = [];
    const poison: PoisonRecord[] = [];
    for (const record of records) {
      const decoded = decodeEnvelope(record.value);
      const outboxId = record.headers[ENVELOPE_HEADERS.outboxId];
      if (decoded.ok) {
        events.push({ envelope: decoded.envelope, ...(outboxId ? { outboxId } : {}) });
        traceparents.push(record.headers['traceparent']);
        continue;
      }
      deps.logger.warn(
        {
          partition: record.partition,
          offset: record.offset,
          reason: decoded.reason,
          eventId: record.headers[ENVELOPE_HEADERS.eventId],
        },
        'poison record skipped',
      );
      poison.push({ reason: `poison: ${decoded.reason}`, eventId: record.headers[ENVELOPE_HEADERS.eventId], outboxId });
    }
    const now = deps.clock.now();
    const persisted = await deps.store.persist({ events, poison, now });
    logPersisted(deps.logger, events, traceparents, persisted.inserted);
    return { inserted: persisted.inserted, duplicates: persisted.duplicates, poison: poison.length };
  };

export type PersistHistoryBatch = ReturnType<typeof createPersistHistoryBatch>;
