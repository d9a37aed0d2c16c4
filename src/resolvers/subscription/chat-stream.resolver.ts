import type { StreamChat } from '../../application/stream-chat.use-case';
import type { CursoredReplyEvent } from '../../domain/chat/chat-types';
import type { SubscriptionResolvers } from '../../generated/graphql';
import { abortable } from '../abortable';

export const chatStreamResolver = (streamChat: StreamChat): NonNullable<SubscriptionResolvers['chatStream']> => ({
  subscribe: (_parent, args, context) =>
    abortable((signal) => streamChat({ userId: context.principal.userId, conversationId: args.conversationId, replyId: args.replyId, after: args.after, signal })),
  resolve: (event: CursoredReplyEvent) => event,
});
