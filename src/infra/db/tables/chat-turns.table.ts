import type { ChatTurn, ModelChoice } from '../../../domain/chat/chat-types';
import { fromDatetime } from './datetime';

/** chat_turns as raw SQL reads it (the writer inserts turns through the ORM entity). */
export const CHAT_TURN_COLUMNS =
  'reply_id, user_id, conversation_id, client_message_id, user_message_id, user_seq, content_sha256, model, thinking, traceparent, status, created_at';

export interface ChatTurnRow {
  reply_id: string;
  user_id: string;
  conversation_id: string;
  client_message_id: string | null;
  user_message_id: string;
  user_seq: number | string;
  content_sha256: string;
  model: string;
  thinking: number | boolean;
  traceparent: string | null;
  status: string;
  created_at: Date;
}

export const toChatTurn = (row: ChatTurnRow): ChatTurn => ({
  replyId: row.reply_id,
  userId: row.user_id,
  conversationId: row.conversation_id,
  clientMessageId: row.client_message_id,
  userMessageId: row.user_message_id,
  userSeq: Number(row.user_seq),
  contentSha256: row.content_sha256,
  model: row.model as ModelChoice,
  thinking: Boolean(row.thinking),
  traceparent: row.traceparent,
  status: row.status === 'REPLIED' ? 'REPLIED' : 'AWAITING',
  createdAt: fromDatetime(row.created_at),
});
