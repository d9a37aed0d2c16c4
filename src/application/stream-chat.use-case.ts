import type { CursoredReplyEvent } from '../domain/chat/chat-types';
import type { ConversationReader, HistoryCache, ReplyStream } from '../domain/chat/ports';
import { normaliseId } from '../domain/chat/send-message-input';
import { AppError } from '../domain/errors';

const CURSOR = /^\d+-\d+$/;

/**
 * chatStream: the caller's own conversation only (others look missing); the given reply, or
 * the conversation's latest one; every event after `after`, once, in order.
 */
export const createStreamChat =
  (deps: { conversations: ConversationReader; cache: HistoryCache; replies: ReplyStream }) =>
  async (input: { userId: string; conversationId: string; replyId?: string | null; after?: string | null; signal?: AbortSignal }): Promise<AsyncIterable<CursoredReplyEvent>> => {
    const scope = { userId: input.userId, conversationId: normaliseId(input.conversationId, 'conversationId') };
    if (input.after && !CURSOR.test(input.after)) throw new AppError('BAD_USER_INPUT', 'after is not a cursor from this stream');
    const owned = (await deps.cache.isOwned(scope)) || (await deps.conversations.ownerOf(scope.conversationId)) === scope.userId;
    if (!owned) throw new AppError('CONVERSATION_NOT_FOUND', `conversation ${scope.conversationId} not found`);
    const replyId = input.replyId ? normaliseId(input.replyId, 'replyId') : await deps.replies.latestReply(scope);
    if (!replyId) throw new AppError('NOT_FOUND', 'this conversation has no reply to stream yet; pass the replyId from sendMessage');
    return deps.replies.read({ ...scope, replyId }, { after: input.after ?? undefined, signal: input.signal });
  };

export type StreamChat = ReturnType<typeof createStreamChat>;
