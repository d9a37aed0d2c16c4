import type { createGetOutboxMessage } from '../../application/ops/get-outbox-message.use-case';
import type { QueryResolvers } from '../../generated/graphql';

export const outboxMessageResolver =
  (get: ReturnType<typeof createGetOutboxMessage>): NonNullable<QueryResolvers['outboxMessage']> =>
  (_parent, args, context) =>
    get({ principal: context.principal, id: args.id });
