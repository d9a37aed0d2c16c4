import type { SendMessage } from '../../application/send-message.use-case';
import type { ConversationQueries, ConversationView } from '../../domain/chat/views';
import type { MutationResolvers } from '../../generated/graphql';
import { prefetchConversation } from '../types/send-message-payload.resolver';

/**
 * The payload's conversation (its history counts) is read as soon as the send committed,
 * alongside the send's Redis work, not after it: one database round trip less before the answer.
 * Only for a selection that asks for it; a replayed send (nothing committed now) reads it as before.
 */
export const sendMessageResolver =
  (
    sendMessage: SendMessage,
    queries: Pick<ConversationQueries, 'findForUser'>,
  ): NonNullable<MutationResolvers['sendMessage']> =>
  async (_parent, { input }, context, info) => {
    const wanted = info.fieldNodes.some((node) =>
      node.selectionSet?.selections.some((s) => s.kind !== 'Field' || s.name.value === 'conversation'),
    );
    const { userId } = context.principal;
    let view: Promise<ConversationView | null> | undefined;
    const payload = await sendMessage({
      userId,
      raw: input,
      traceparent: context.traceparent,
      ...(wanted
        ? { onCommitted: (conversationId: string) => (view = queries.findForUser({ userId, conversationId })) }
        : {}),
    });
    if (view) prefetchConversation(payload, view);
    return payload;
  };
