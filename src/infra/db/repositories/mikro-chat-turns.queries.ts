import type { ChatTurn, ModelChoice } from '../../../domain/chat/chat-types';
import type { ChatTurns } from '../../../domain/chat/ports';
import type { Database } from '../create-database';
import { runStatement } from '../transaction';

interface TurnRow {
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

const toTurn = (row: TurnRow): ChatTurn => ({
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
  createdAt: new Date(row.created_at),
});

const COLUMNS = 'reply_id, user_id, conversation_id, client_message_id, user_message_id, user_seq, content_sha256, model, thinking, traceparent, status, created_at';

/** Chat turns as the writer committed them; each read is one indexed lookup. */
export const createMikroChatTurns = (database: Database): ChatTurns => {
  const select = async (where: string, params: unknown[]) => (await database.fork().execute<TurnRow[]>(`SELECT ${COLUMNS} FROM chat_turns WHERE ${where}`, params)).map(toTurn);
  return {
    get: async (replyId) => (await select('reply_id = ?', [replyId]))[0] ?? null,
    byClientMessageId: async (userId, clientMessageId) => (await select('user_id = ? AND client_message_id = ?', [userId, clientMessageId]))[0] ?? null,
    awaiting: ({ createdBefore, limit }) => select("status = 'AWAITING' AND created_at < ? ORDER BY created_at LIMIT ?", [createdBefore, limit]),
    // The (status, created_at) index bounds each batch, so no statement holds long locks.
    deleteReplied: ({ createdBefore, limit }) => runStatement(database, "DELETE FROM chat_turns WHERE status = 'REPLIED' AND created_at < ? ORDER BY created_at LIMIT ?", [createdBefore, limit]),
  };
};
