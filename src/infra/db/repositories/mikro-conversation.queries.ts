import { chatMessagePayload, type ChatMessagePayload, type ChatRole } from '../../../domain/chat-message-envelope';
import type { HistoryEntry } from '../../../domain/chat/chat-types';
import type { ConversationReader } from '../../../domain/ports/conversation-reader';
import type { ConversationQueries } from '../../../domain/chat/views';
import type { Database } from '../create-database';
import { CHAT_MESSAGE_COLUMNS, toMessageView, type ChatMessageRow } from '../tables/chat-messages.table';
import { CONVERSATION_COLUMNS, toConversationView, type ConversationRow } from '../tables/conversations.table';
import { json } from '../tables/outbox-messages.table';
import { fromDatetime } from '../tables/datetime';

/** Read side over conversations and history; every query is scoped to one user or conversation. */
export const createMikroConversationQueries = (database: Database): ConversationReader & ConversationQueries => {
  const query = <T>(sql: string, params: unknown[]) => database.fork().execute(sql, params) as unknown as Promise<T[]>;
  return {
    async ownerOf(conversationId) {
      const [row] = await query<{ user_id: string }>('SELECT user_id FROM conversations WHERE id = ?', [
        conversationId,
      ]);
      return row?.user_id ?? null;
    },
    async recentHistory(conversationId, limit): Promise<HistoryEntry[]> {
      // History lags the writer by the pipeline: committed messages the consumer has not stored yet
      // are still outbox rows (DEAD ones too: they await a replay). Both reads use the conversation's
      // index. The outbox is read FIRST, and not in parallel: the consumer moves a message from
      // "outbox row not consumed" to "history row" in one transaction, so a message missing from the
      // first read was consumed before it and is in the second. Read the other way round (or at
      // once), a message consumed between the two reads is in neither (seen in chaos: a reply
      // whose prompt lacked its own user message).
      const pending = await query<{ seq: number; payload: unknown }>(
        "SELECT aggregate_seq AS seq, payload FROM outbox_messages WHERE aggregate_id = ? AND status IN ('PENDING', 'PUBLISHED', 'DEAD') ORDER BY aggregate_seq DESC LIMIT ?",
        [conversationId, limit],
      );
      const stored = await query<{ seq: number; role: ChatRole; content: string }>(
        'SELECT seq, role, content FROM chat_messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?',
        [conversationId, limit],
      );
      const bySeq = new Map<number, HistoryEntry>();
      for (const row of pending) {
        const payload = json<{ role: ChatRole; content: string }>(row.payload);
        bySeq.set(Number(row.seq), { seq: Number(row.seq), role: payload.role, content: payload.content });
      }
      for (const row of stored)
        bySeq.set(Number(row.seq), { seq: Number(row.seq), role: row.role, content: row.content });
      return [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(-limit);
    },
    async committedMessage(conversationId, messageId) {
      // The outbox row first (the conversation's index narrows it to that conversation's rows); history once retention removed it.
      const [outbox] = await query<{ event_id: string; seq: number; created_at: Date; payload: unknown }>(
        "SELECT event_id, aggregate_seq AS seq, created_at, payload FROM outbox_messages WHERE aggregate_id = ? AND JSON_VALUE(payload, '$.messageId') = ? ORDER BY id LIMIT 1",
        [conversationId, messageId],
      );
      if (outbox)
        return {
          messageId,
          eventId: outbox.event_id,
          seq: Number(outbox.seq),
          createdAt: fromDatetime(outbox.created_at),
          payload: json<ChatMessagePayload>(outbox.payload),
        };
      const [row] = await query<ChatMessageRow & { event_id: string }>(
        `SELECT event_id, ${CHAT_MESSAGE_COLUMNS} FROM chat_messages WHERE id = ? AND conversation_id = ?`,
        [messageId, conversationId],
      );
      if (!row) return null;
      const view = toMessageView(row);
      return {
        messageId,
        eventId: row.event_id,
        seq: view.seq,
        createdAt: view.createdAt,
        payload: chatMessagePayload(messageId, view),
      };
    },
    async listForUser({ userId, first, after }) {
      const [where, params] = after
        ? ['user_id = ? AND (created_at, id) < (?, ?)', [userId, after.createdAt, after.id]]
        : ['user_id = ?', [userId]];
      const rows = await query<ConversationRow>(
        `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ?`,
        [...params, first + 1],
      );
      return { items: rows.slice(0, first).map(toConversationView), hasNextPage: rows.length > first };
    },
    async findForUser({ userId, conversationId }) {
      const [row] = await query<ConversationRow>(
        `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = ? AND user_id = ?`,
        [conversationId, userId],
      );
      return row ? toConversationView(row) : null;
    },
    async messages({ conversationId, first, afterSeq }) {
      const rows = await query<ChatMessageRow>(
        `SELECT ${CHAT_MESSAGE_COLUMNS} FROM chat_messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
        [conversationId, afterSeq ?? 0, first + 1],
      );
      return { items: rows.slice(0, first).map(toMessageView), hasNextPage: rows.length > first };
    },
  };
};
