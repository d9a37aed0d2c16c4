import type { ChatStreamItem, StreamChat } from '../../application/stream-chat.use-case';
import type { CursoredReplyEvent } from '../../domain/chat/chat-types';
import type { SubscriptionResolvers } from '../../generated/graphql';
import { abortable } from '../abortable';

/** A failure item becomes this subscription's last result, an error with its code; the socket and its other operations live on. */
const eventOrThrow = (item: ChatStreamItem): CursoredReplyEvent => {
  if ('failure' in item) throw item.failure;
  return item;
};

export const chatStreamResolver = (streamChat: StreamChat): NonNullable<SubscriptionResolvers['chatStream']> => ({
  subscribe: (_parent, args, context) =>
    abortable((signal) =>
      streamChat({
        userId: context.principal.userId,
        conversationId: args.conversationId,
        replyId: args.replyId,
        after: args.after,
        signal,
      }),
    ),
  resolve: eventOrThrow,
});
