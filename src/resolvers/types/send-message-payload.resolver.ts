import type { SendMessageResult } from '../../application/send-message.use-case';
import type { ConversationQueries, ConversationView } from '../../domain/chat/views';
import type { SendMessagePayloadResolvers } from '../../generated/graphql';

/** The payload's conversation, read by the mutation resolver as soon as its send committed. */
const prefetched = new WeakMap<SendMessageResult, Promise<ConversationView | null>>();

/** Hands the payload resolver a read already in flight, so it does not start its own after the send. */
export const prefetchConversation = (payload: SendMessageResult, view: Promise<ConversationView | null>) => {
  view.catch(() => undefined);
  prefetched.set(payload, view);
};

export const sendMessagePayloadResolvers = (queries: ConversationQueries): SendMessagePayloadResolvers => ({
  conversation: async (payload, _args, context) =>
    (await (prefetched.get(payload) ??
      queries.findForUser({ userId: context.principal.userId, conversationId: payload.conversation.id }))) ?? {
      id: payload.conversation.id,
      userId: context.principal.userId,
      createdAt: payload.conversation.createdAt,
      messageCount: 0,
      lastMessageAt: null,
    },
});
