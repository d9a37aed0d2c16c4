import type { ConversationQueries } from '../../domain/chat/views';
import type { ChatMessageResolvers, ConversationResolvers } from '../../generated/graphql';
import { decodeCursor, pageSize, toConnection } from '../cursor';

const isSeq = (value: unknown): value is { seq: number } => typeof value === 'object' && value !== null && Number.isInteger((value as { seq?: unknown }).seq);

export const conversationResolvers = (queries: ConversationQueries): ConversationResolvers => ({
  messages: async (conversation, args) => {
    const afterSeq = args.after ? decodeCursor(args.after, isSeq).seq : undefined;
    const page = await queries.messages({ conversationId: conversation.id, first: pageSize(args.first, 50), afterSeq });
    return toConnection(page, (node) => ({ seq: node.seq }));
  },
});

export const ChatMessage: ChatMessageResolvers = {
  role: (message) => (message.role === 'assistant' ? 'ASSISTANT' : 'USER'),
};
