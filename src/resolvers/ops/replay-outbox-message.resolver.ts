import type { createReplayOutboxMessage } from '../../application/ops/replay-outbox-messages.use-case';
import { AppError } from '../../domain/errors';
import type { MutationResolvers } from '../../generated/graphql';

export const replayOutboxMessageResolver =
  (replay: ReturnType<typeof createReplayOutboxMessage>): NonNullable<MutationResolvers['replayOutboxMessage']> =>
  async (_parent, args, context) => {
    const row = await replay({ principal: context.principal, id: args.id, reason: args.reason });
    if (!row) throw new AppError('NOT_FOUND', `outbox message ${args.id} not found`);
    return row;
  };
