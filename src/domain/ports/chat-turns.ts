import type { ChatTurn } from '../chat/chat-types';

/**
 * Chat turns as recorded by the writer (see ChatTurn).
 * Guarantee: reads see only committed turns; a turn is REPLIED exactly when its reply's
 * assistant message committed.
 */
export interface ChatTurns {
  get(replyId: string): Promise<ChatTurn | null>;
  /** The turn a user's earlier send with this client message id recorded, if any. */
  byClientMessageId(userId: string, clientMessageId: string): Promise<ChatTurn | null>;
  /** Turns still AWAITING that were created before `createdBefore`, oldest first. */
  awaiting(input: { createdBefore: Date; limit: number }): Promise<ChatTurn[]>;
  /** Deletes up to `limit` REPLIED turns created before `createdBefore` (never one still awaited); returns how many. */
  deleteReplied(input: { createdBefore: Date; limit: number }): Promise<number>;
}
