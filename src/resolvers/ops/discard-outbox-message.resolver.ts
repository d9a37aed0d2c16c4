import type { createDiscardOutboxMessage } from '../../application/ops/discard-outbox-message.use-case';
import { AppError } from '../../domain/errors';
import type { MutationResolvers } from '../../generated/graphql';

export const discardOutboxMessageResolver =
  (discard: ReturnType<typeof createDiscardOutboxMessage>): NonNullable<MutationResolvers['discardOutboxMessage']> =>
  async (_parent, args, context) => {
    const row = await discard({ principal: context.principal, id: args.id, reason: args.reason });
    if (!row) throw new AppError('NOT_FOUND', `outbox message ${args.id} not found`);
    return row;
  };
