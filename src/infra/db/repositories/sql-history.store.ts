import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { boundError } from '../../../domain/outbox-message';
import type { ConsumedEvent, HistoryStore, PersistOutcome, PoisonRecord } from '../../../domain/ports/history-store';
import type { Database } from '../create-database';
import type { BatchTransaction, Statement } from '../sql-batches';
import { inBatchTransaction, placeholders } from '../transaction';
import { CHAT_MESSAGE_INSERT_COLUMNS, toChatMessageValues } from '../tables/chat-messages.table';
import { caseById, CLEAR_CLAIM, guard } from './sql-guards';

const uniqueByEventId = (events: readonly ConsumedEvent[]) => [
  ...new Map(events.map((e) => [e.envelope.eventId, e])).values(),
];

/** Looks up which of the batch's events or messages history holds already. */
const lookupStatement = (unique: readonly ConsumedEvent[]): Statement => {
  const eventIds = unique.map((e) => e.envelope.eventId);
  const messageIds = unique.map((e) => e.envelope.payload.messageId);
  return {
    sql: `SELECT id, event_id FROM chat_messages WHERE event_id IN (${placeholders(eventIds)}) OR id IN (${placeholders(messageIds)})`,
    params: [...eventIds, ...messageIds],
  };
};

/**
 * The events of the batch whose message is not in history yet (`rows`: the look-up's answer).
 * A copy of an event (same event id) is a redelivery; a second event for one message id is a
 * writer retry whose first attempt did commit (its reply was lost), so the message is stored
 * already, or earlier in this batch. Both are duplicates: their rows are marked CONSUMED,
 * nothing is inserted twice, and no unique-key failure can hold the partition.
 */
const freshEvents = (unique: readonly ConsumedEvent[], rows: readonly { id: string; event_id: string }[]) => {
  const seenEvents = new Set(rows.map((row) => row.event_id));
  const seenMessages = new Set(rows.map((row) => row.id));
  return unique.filter(({ envelope }) => {
    if (seenEvents.has(envelope.eventId) || seenMessages.has(envelope.payload.messageId)) return false;
    seenMessages.add(envelope.payload.messageId);
    return true;
  });
};

/**
 * A plain INSERT, not IGNORE: a copy of an event (a redelivery, or a concurrent consumer's
 * committed or in-flight insert) fails it, and the look-up then sees the copy; IGNORE would also
 * hide real bugs.
 */
const insertStatement = (events: readonly ConsumedEvent[], now: Date): Statement => {
  const row = `(${placeholders(CHAT_MESSAGE_INSERT_COLUMNS.length)})`;
  return {
    sql: `INSERT INTO chat_messages (${CHAT_MESSAGE_INSERT_COLUMNS.join(', ')}) VALUES ${events.map(() => row).join(', ')}`,
    params: events.flatMap(({ envelope }) => toChatMessageValues(envelope, now)),
  };
};

/** Every event's outbox row becomes CONSUMED (copies included: the guard makes repeats no-ops). */
const markConsumedStatements = (events: readonly ConsumedEvent[], now: Date): Statement[] => {
  const g = guard('CONSUME');
  // Sorted primary keys: the relay locks in id order too, so the two never wait on each other in a cycle.
  const byId = events.flatMap((e) => (e.outboxId ? [e.outboxId] : [])).sort((a, b) => Number(BigInt(a) - BigInt(b)));
  const byEventId = events.filter((e) => !e.outboxId).map((e) => e.envelope.eventId);
  const set = `${g.set}, consumed_at = ?, ${CLEAR_CLAIM}`;
  return [
    ...(byId.length
      ? [
          {
            sql: `UPDATE outbox_messages SET ${set} WHERE id IN (${placeholders(byId)}) AND ${g.where}`,
            params: [now, ...byId],
          },
        ]
      : []),
    ...(byEventId.length
      ? [
          {
            sql: `UPDATE outbox_messages SET ${set} WHERE event_id IN (${placeholders(byEventId)}) AND ${g.where}`,
            params: [now, ...byEventId],
          },
        ]
      : []),
  ];
};

/** One UPDATE for all conversations of the batch: counts only what was really inserted. */
const bumpConversationsStatement = (inserted: readonly ConsumedEvent[]): Statement => {
  const perConversation = new Map<string, { count: number; last: Date }>();
  for (const { envelope } of inserted) {
    const at = new Date(envelope.occurredAt);
    const entry = perConversation.get(envelope.conversationId) ?? { count: 0, last: at };
    perConversation.set(envelope.conversationId, { count: entry.count + 1, last: at > entry.last ? at : entry.last });
  }
  const rows = [...perConversation.entries()].sort(([a], [b]) => a.localeCompare(b));
  const derived = rows.map(() => 'SELECT ? AS id, ? AS n, ? AS t').join(' UNION ALL ');
  return {
    sql: `UPDATE conversations c JOIN (${derived}) d ON c.id = d.id
     SET c.message_count = c.message_count + d.n, c.last_message_at = GREATEST(COALESCE(c.last_message_at, d.t), d.t)`,
    params: rows.flatMap(([id, v]) => [id, v.count, v.last]),
  };
};

/** One UPDATE per key column (outbox id from the headers, else event id), each row with its own reason. */
const markDeadStatements = (poison: readonly PoisonRecord[], now: Date): Statement[] => {
  const g = guard('POISON');
  const byColumn = {
    id: poison.flatMap((p) => (p.outboxId ? [{ id: p.outboxId, value: boundError(p.reason) }] : [])),
    event_id: poison.flatMap((p) => (!p.outboxId && p.eventId ? [{ id: p.eventId, value: boundError(p.reason) }] : [])),
  };
  return Object.entries(byColumn).flatMap(([column, rows]) => {
    if (rows.length === 0) return [];
    const reasons = caseById(rows, column);
    const keys = rows.map((r) => r.id);
    return [
      {
        sql: `UPDATE outbox_messages SET ${g.set}, dead_at = ?, last_error = ${reasons.sql}, ${CLEAR_CLAIM} WHERE ${column} IN (${placeholders(keys)}) AND ${g.where}`,
        params: [now, ...reasons.params, ...keys],
      },
    ];
  });
};

/** Inserting `fresh` and counting it in its conversations: nothing when no event is fresh. */
const storeStatements = (fresh: readonly ConsumedEvent[], now: Date) =>
  fresh.length === 0 ? [] : [insertStatement(fresh, now), bumpConversationsStatement(fresh)];

/**
 * The batch in one transaction. Optimistic: in the common case no event is in history yet, so
 * the poison marks, the whole INSERT, the counters, the CONSUMED marks and COMMIT go in one
 * packet. A duplicate fails that INSERT alone (InnoDB rolls back the statement, not the
 * transaction; the statements before it stay done, the rest of the packet is not run) and the
 * careful path follows in the same transaction: look up, then insert the rest and commit.
 */
const persistInTransaction = async (
  tx: BatchTransaction,
  { events, poison = [], now }: Parameters<HistoryStore['persist']>[0],
): Promise<PersistOutcome> => {
  let pending = markDeadStatements(poison, now);
  const unique = uniqueByEventId(events);
  const consumed = markConsumedStatements(unique, now);
  const outcome = (fresh: readonly ConsumedEvent[]) => ({
    inserted: fresh.length,
    duplicates: events.length - fresh.length,
    insertedEventIds: new Set(fresh.map((e) => e.envelope.eventId)),
  });
  const messageIds = new Set(unique.map((e) => e.envelope.payload.messageId));
  if (messageIds.size === unique.length) {
    try {
      await tx.sendAndCommit([...pending, ...storeStatements(unique, now), ...consumed]);
      return outcome(unique);
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      pending = [];
    }
  }
  const results = await tx.send([...pending, lookupStatement(unique)]);
  const fresh = freshEvents(unique, results[results.length - 1] as { id: string; event_id: string }[]);
  await tx.sendAndCommit([...storeStatements(fresh, now), ...consumed]);
  return outcome(fresh);
};

export const createSqlHistoryStore = (database: Database): HistoryStore => ({
  persist: (input) =>
    input.events.length === 0 && (input.poison ?? []).length === 0
      ? Promise.resolve({ inserted: 0, duplicates: 0, insertedEventIds: new Set() })
      : inBatchTransaction(database, (tx) => persistInTransaction(tx, input)),
});
