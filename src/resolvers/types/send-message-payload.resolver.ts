import type { ConversationQueries } from '../../domain/chat/views';
import type { SendMessagePayloadResolvers } from '../../generated/graphql';

export const sendMessagePayloadResolvers = (queries: ConversationQueries): SendMessagePayloadResolvers => ({
  conversation: async (payload, _args, context) =>
    (await queries.findForUser({ userId: context.principal.userId, conversationId: payload.conversation.id })) ?? {
      id: payload.conversation.id,
      userId: context.principal.userId,
      createdAt: payload.conversation.createdAt,
      messageCount: 0,
      lastMessageAt: null,
    },
});
