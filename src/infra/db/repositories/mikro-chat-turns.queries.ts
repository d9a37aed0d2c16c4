import type { ChatTurns } from '../../../domain/ports/chat-turns';
import type { Database } from '../create-database';
import { runStatement } from '../transaction';
import { CHAT_TURN_COLUMNS, toChatTurn, type ChatTurnRow } from '../tables/chat-turns.table';

/** Chat turns as the writer committed them; each read is one indexed lookup. */
export const createMikroChatTurns = (database: Database): ChatTurns => {
  const select = async (where: string, params: unknown[]) =>
    (
      await database.fork().execute<ChatTurnRow[]>(`SELECT ${CHAT_TURN_COLUMNS} FROM chat_turns WHERE ${where}`, params)
    ).map(toChatTurn);
  return {
    get: async (replyId) => (await select('reply_id = ?', [replyId]))[0] ?? null,
    byClientMessageId: async (userId, clientMessageId) =>
      (await select('user_id = ? AND client_message_id = ?', [userId, clientMessageId]))[0] ?? null,
    awaiting: ({ createdBefore, limit }) =>
      select("status = 'AWAITING' AND created_at < ? ORDER BY created_at LIMIT ?", [createdBefore, limit]),
    // The (status, created_at) index bounds each batch, so no statement holds long locks.
    deleteReplied: ({ createdBefore, limit }) =>
      runStatement(
        database,
        "DELETE FROM chat_turns WHERE status = 'REPLIED' AND created_at < ? ORDER BY created_at LIMIT ?",
        [createdBefore, limit],
      ),
  };
};
