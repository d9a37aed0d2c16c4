import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import { boundError } from '../../../domain/outbox-message';
import type { ConsumedEvent, HistoryStore, PoisonRecord } from '../../../domain/ports/history-store';
import type { Database } from '../create-database';
import { inTransaction, placeholders } from '../transaction';
import { CHAT_MESSAGE_INSERT_COLUMNS, toChatMessageValues } from '../tables/chat-messages.table';
import { caseById, CLEAR_CLAIM, guard } from './sql-guards';

const uniqueByEventId = (events: readonly ConsumedEvent[]) => [
  ...new Map(events.map((e) => [e.envelope.eventId, e])).values(),
];

/**
 * The events of the batch whose message is not in history yet. A copy of an event (same event
 * id) is a redelivery; a second event for one message id is a writer retry whose first attempt
 * did commit (its reply was lost), so the message is stored already, or earlier in this batch.
 * Both are duplicates: their rows are marked CONSUMED, nothing is inserted twice, and no
 * unique-key failure can hold the partition.
 */
const freshEvents = async (em: EntityManager, unique: readonly ConsumedEvent[]) => {
  const eventIds = unique.map((e) => e.envelope.eventId);
  const messageIds = unique.map((e) => e.envelope.payload.messageId);
  const rows = await em.execute<{ id: string; event_id: string }[]>(
    `SELECT id, event_id FROM chat_messages WHERE event_id IN (${placeholders(eventIds)}) OR id IN (${placeholders(messageIds)})`,
    [...eventIds, ...messageIds],
  );
  const seenEvents = new Set(rows.map((row) => row.event_id));
  const seenMessages = new Set(rows.map((row) => row.id));
  return unique.filter(({ envelope }) => {
    if (seenEvents.has(envelope.eventId) || seenMessages.has(envelope.payload.messageId)) return false;
    seenMessages.add(envelope.payload.messageId);
    return true;
  });
};

const insertHistory = async (em: EntityManager, events: readonly ConsumedEvent[], now: Date) => {
  const params = events.flatMap(({ envelope }) => toChatMessageValues(envelope, now));
  // A plain INSERT, not IGNORE: a copy of an event (a redelivery, or a concurrent consumer's
  // committed or in-flight insert) fails it, and the look-up then sees the copy; IGNORE would
  // also hide real bugs.
  const row = `(${placeholders(CHAT_MESSAGE_INSERT_COLUMNS.length)})`;
  await em.execute(
    `INSERT INTO chat_messages (${CHAT_MESSAGE_INSERT_COLUMNS.join(', ')}) VALUES ${events.map(() => row).join(', ')}`,
    params,
    'run',
  );
};

/** Every event's outbox row becomes CONSUMED (copies included: the guard makes repeats no-ops). */
const markConsumed = async (em: EntityManager, events: readonly ConsumedEvent[], now: Date) => {
  const g = guard('CONSUME');
  // Sorted primary keys: the relay locks in id order too, so the two never wait on each other in a cycle.
  const byId = events.flatMap((e) => (e.outboxId ? [e.outboxId] : [])).sort((a, b) => Number(BigInt(a) - BigInt(b)));
  const byEventId = events.filter((e) => !e.outboxId).map((e) => e.envelope.eventId);
  const set = `${g.set}, consumed_at = ?, ${CLEAR_CLAIM}`;
  if (byId.length)
    await em.execute(
      `UPDATE outbox_messages SET ${set} WHERE id IN (${placeholders(byId)}) AND ${g.where}`,
      [now, ...byId],
      'run',
    );
  if (byEventId.length)
    await em.execute(
      `UPDATE outbox_messages SET ${set} WHERE event_id IN (${placeholders(byEventId)}) AND ${g.where}`,
      [now, ...byEventId],
      'run',
    );
};

/** One UPDATE for all conversations of the batch: counts only what was really inserted. */
const bumpConversations = async (em: EntityManager, inserted: readonly ConsumedEvent[]) => {
  const perConversation = new Map<string, { count: number; last: Date }>();
  for (const { envelope } of inserted) {
    const at = new Date(envelope.occurredAt);
    const entry = perConversation.get(envelope.conversationId) ?? { count: 0, last: at };
    perConversation.set(envelope.conversationId, { count: entry.count + 1, last: at > entry.last ? at : entry.last });
  }
  const rows = [...perConversation.entries()].sort(([a], [b]) => a.localeCompare(b));
  const derived = rows.map(() => 'SELECT ? AS id, ? AS n, ? AS t').join(' UNION ALL ');
  await em.execute(
    `UPDATE conversations c JOIN (${derived}) d ON c.id = d.id
     SET c.message_count = c.message_count + d.n, c.last_message_at = GREATEST(COALESCE(c.last_message_at, d.t), d.t)`,
    rows.flatMap(([id, v]) => [id, v.count, v.last]),
    'run',
  );
};

/** One UPDATE per key column (outbox id from the headers, else event id), each row with its own reason. */
const markDead = async (em: EntityManager, poison: readonly PoisonRecord[], now: Date) => {
  const g = guard('POISON');
  const byColumn = {
    id: poison.flatMap((p) => (p.outboxId ? [{ id: p.outboxId, value: boundError(p.reason) }] : [])),
    event_id: poison.flatMap((p) => (!p.outboxId && p.eventId ? [{ id: p.eventId, value: boundError(p.reason) }] : [])),
  };
  for (const [column, rows] of Object.entries(byColumn)) {
    if (rows.length === 0) continue;
    const reasons = caseById(rows, column);
    const keys = rows.map((r) => r.id);
    await em.execute(
      `UPDATE outbox_messages SET ${g.set}, dead_at = ?, last_error = ${reasons.sql}, ${CLEAR_CLAIM} WHERE ${column} IN (${placeholders(keys)}) AND ${g.where}`,
      [now, ...reasons.params, ...keys],
      'run',
    );
  }
};

/**
 * Inserts the batch's events whose message is not in history yet; returns them. Optimistic: in
 * the common case none is, so the whole batch goes in without the look-up (one statement fewer
 * per transaction). A duplicate fails that INSERT alone (InnoDB rolls back the statement, not
 * the transaction) and the careful path follows: look up, insert the rest.
 */
const insertFresh = async (em: EntityManager, unique: readonly ConsumedEvent[], now: Date) => {
  const messageIds = new Set(unique.map((e) => e.envelope.payload.messageId));
  if (messageIds.size === unique.length) {
    try {
      await insertHistory(em, unique, now);
      return unique;
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
  }
  const fresh = await freshEvents(em, unique);
  if (fresh.length > 0) await insertHistory(em, fresh, now);
  return fresh;
};

export const createMikroHistoryStore = (database: Database): HistoryStore => ({
  persist: ({ events, poison = [], now }) =>
    inTransaction(database, async (em) => {
      if (poison.length > 0) await markDead(em, poison, now);
      if (events.length === 0) return { inserted: 0, duplicates: 0, insertedEventIds: new Set() };
      const unique = uniqueByEventId(events);
      const fresh = await insertFresh(em, unique, now);
      if (fresh.length > 0) await bumpConversations(em, fresh);
      await markConsumed(em, unique, now);
      return {
        inserted: fresh.length,
        duplicates: events.length - fresh.length,
        insertedEventIds: new Set(fresh.map((e) => e.envelope.eventId)),
      };
    }),
});
