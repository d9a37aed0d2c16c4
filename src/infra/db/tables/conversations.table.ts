import type { ConversationView } from '../../../domain/chat/views';
import { fromDatetime } from './datetime';

/** conversations as the read side selects it (the writer's seq reservation is its own upsert). */
export const CONVERSATION_COLUMNS = 'id, user_id, created_at, message_count, last_message_at';

export interface ConversationRow {
  id: string;
  user_id: string;
  created_at: Date;
  message_count: number;
  last_message_at: Date | null;
}

export const toConversationView = (row: ConversationRow): ConversationView => ({
  id: row.id,
  userId: row.user_id,
  createdAt: fromDatetime(row.created_at),
  messageCount: Number(row.message_count),
  lastMessageAt: row.last_message_at ? fromDatetime(row.last_message_at) : null,
});
