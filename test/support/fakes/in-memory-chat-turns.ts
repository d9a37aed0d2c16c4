import type { ChatTurn } from '../../../src/domain/chat/chat-types';
import type { ChatTurns } from '../../../src/domain/ports/chat-turns';

const byAge = (a: ChatTurn, b: ChatTurn) => a.createdAt.getTime() - b.createdAt.getTime();

/** The ChatTurns port over a map of turns by reply id (the map is the fake's "table"). */
export const createInMemoryChatTurns = (turns: Map<string, ChatTurn>): ChatTurns => ({
  get: async (replyId) => turns.get(replyId) ?? null,
  byClientMessageId: async (userId, id) =>
    [...turns.values()].find((t) => t.userId === userId && t.clientMessageId === id) ?? null,
  awaiting: async ({ createdBefore, limit }) =>
    [...turns.values()]
      .filter((t) => t.status === 'AWAITING' && t.createdAt < createdBefore)
      .sort(byAge)
      .slice(0, limit),
  async deleteReplied({ createdBefore, limit }) {
    const old = [...turns.values()]
      .filter((t) => t.status === 'REPLIED' && t.createdAt < createdBefore)
      .sort(byAge)
      .slice(0, limit);
    for (const turn of old) turns.delete(turn.replyId);
    return old.length;
  },
});
