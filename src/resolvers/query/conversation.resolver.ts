import { normaliseId } from '../../domain/chat/send-message-input';
import type { ConversationQueries } from '../../domain/chat/views';
import type { QueryResolvers } from '../../generated/graphql';

/** Another user's conversation is indistinguishable from a missing one: null either way. */
export const conversationResolver =
  (queries: ConversationQueries): NonNullable<QueryResolvers['conversation']> =>
  (_parent, args, context) =>
    queries.findForUser({ userId: context.principal.userId, conversationId: normaliseId(args.id, 'id') });
