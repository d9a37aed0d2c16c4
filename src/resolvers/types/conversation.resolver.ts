import type { ConversationQueries } from '../../domain/chat/views';
import type { ChatMessageResolvers, ConversationResolvers } from '../../generated/graphql';
import { decodeCursor, defaultPageSize, pageSize, toConnection } from '../cursor';
import { jsonBytes } from '../response-budget';

const isSeq = (value: unknown): value is { seq: number } =>
  typeof value === 'object' && value !== null && Number.isInteger((value as { seq?: unknown }).seq);

export const conversationResolvers = (queries: ConversationQueries): ConversationResolvers => ({
  messages: async (conversation, args, context, info) => {
    const afterSeq = args.after ? decodeCursor(args.after, isSeq).seq : undefined;
    const first = pageSize(args.first, defaultPageSize(info));
    // A sibling that spent the budget already stops this one before it loads anything.
    context.responseBudget.charge(0);
    const page = await queries.messages({ conversationId: conversation.id, first, afterSeq });
    context.responseBudget.charge(
      page.items.reduce((sum, m) => sum + jsonBytes(m.content) + jsonBytes(m.reasoning), 0),
    );
    return toConnection(page, (node) => ({ seq: node.seq }));
  },
});

export const ChatMessage: ChatMessageResolvers = {
  role: (message) => (message.role === 'assistant' ? 'ASSISTANT' : 'USER'),
};
