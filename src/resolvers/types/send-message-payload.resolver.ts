import type { ConversationQueries } from '../../domain/chat/views';
import type { SendMessagePayloadResolvers } from '../../generated/graphql';
import { selectedFields } from '../selected-fields';

export const sendMessagePayloadResolvers = (queries: ConversationQueries): SendMessagePayloadResolvers => ({
  conversation: async (payload, _args, context, info) => {
    const { id, createdAt, created } = payload.conversation;
    const known = { id, userId: context.principal.userId, createdAt, messageCount: 0, lastMessageAt: null };
    // The send knows the conversation's id, and its creation time when the send created it; the
    // rest (history counters, messages) is read only when the operation asks for it, so a client
    // that takes just the id costs no database round trip after its commit.
    const answerable = created ? ['__typename', 'id', 'createdAt'] : ['__typename', 'id'];
    if ([...selectedFields(info)].every((field) => answerable.includes(field))) return known;
    return (await queries.findForUser({ userId: context.principal.userId, conversationId: id })) ?? known;
  },
});
