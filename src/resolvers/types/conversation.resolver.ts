import type { ConversationQueries } from '../../domain/chat/views';
import type { ChatMessageResolvers, ConversationResolvers } from '../../generated/graphql';
import { decodeCursor, encodeCursor, pageSize } from '../cursor';

const isSeq = (value: unknown): value is { seq: number } => typeof value === 'object' && value !== null && Number.isInteger((value as { seq?: unknown }).seq);

export const conversationResolvers = (queries: ConversationQueries): ConversationResolvers => ({
  messages: async (conversation, args) => {
    const afterSeq = args.after ? decodeCursor(args.after, isSeq).seq : undefined;
    const page = await queries.messages({ conversationId: conversation.id, first: pageSize(args.first, 50), afterSeq });
    const edges = page.items.map((node) => ({ node, cursor: encodeCursor({ seq: node.seq }) }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  },
});

export const ChatMessage: ChatMessageResolvers = {
  role: (message) => (message.role === 'assistant' ? 'ASSISTANT' : 'USER'),
};
