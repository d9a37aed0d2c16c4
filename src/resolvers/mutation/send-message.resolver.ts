import type { SendMessage } from '../../application/send-message.use-case';
import type { MutationResolvers } from '../../generated/graphql';

export const sendMessageResolver =
  (sendMessage: SendMessage): NonNullable<MutationResolvers['sendMessage']> =>
  (_parent, { input }, context) =>
    sendMessage({ userId: context.principal.userId, raw: input, traceparent: context.traceparent });
