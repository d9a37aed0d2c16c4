import type { CancelReply } from '../../application/cancel-reply.use-case';
import type { MutationResolvers } from '../../generated/graphql';

export const cancelReplyResolver =
  (cancelReply: CancelReply): NonNullable<MutationResolvers['cancelReply']> =>
  (_parent, { replyId }, context) =>
    cancelReply({ userId: context.principal.userId, replyId });
