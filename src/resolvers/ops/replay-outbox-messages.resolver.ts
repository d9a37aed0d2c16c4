import type { createReplayOutboxMessages } from '../../application/ops/replay-outbox-messages.use-case';
import type { MutationResolvers } from '../../generated/graphql';
import { outboxFilterFrom } from './outbox-messages.resolver';

export const replayOutboxMessagesResolver =
  (replay: ReturnType<typeof createReplayOutboxMessages>): NonNullable<MutationResolvers['replayOutboxMessages']> =>
  (_parent, args, context) =>
    replay({
      principal: context.principal,
      limit: args.limit,
      reason: args.reason,
      filter: outboxFilterFrom(args.filter),
    });
