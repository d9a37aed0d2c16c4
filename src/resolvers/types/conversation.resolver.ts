import type { ConversationQueries } from '../../domain/chat/views';
import type { ChatMessageResolvers, ConversationResolvers } from '../../generated/graphql';
import { decodeCursor, defaultPageSize, pageSize, toConnection } from '../cursor';
import { jsonBytes } from '../response-budget';

const isSeq = (value: unknown): value is { seq: number } =>
  typeof value === 'object' && value !== null && Number.isInteger((value as { seq?: unknown }).seq);

export const conversationResolvers = (queries: ConversationQueries): ConversationResolvers => ({
  messages: async (conversation, args, context, info) => {
    const afterSeq = args.after ? decodeCursor(args.after, isSeq).seq : undefined;
    const first = pageSize(args.first ?? defaultPageSize(info));
    // Counted before loading: siblings resolving in parallel cannot all load before any is counted.
    const settle = context.responseBudget.reserveRows(first);
    const page = await queries.messages({ conversationId: conversation.id, first, afterSeq });
    settle(page.items.reduce((sum, m) => sum + jsonBytes(m.content) + jsonBytes(m.reasoning), 0));
    return toConnection(page, (node) => ({ seq: node.seq }));
  },
});

export const ChatMessage: ChatMessageResolvers = {
  role: (message) => (message.role === 'assistant' ? 'ASSISTANT' : 'USER'),
};
