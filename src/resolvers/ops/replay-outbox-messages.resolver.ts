import type { createReplayOutboxMessages } from '../../application/ops/replay-outbox-messages.use-case';
import type { MutationResolvers } from '../../generated/graphql';

export const replayOutboxMessagesResolver =
  (replay: ReturnType<typeof createReplayOutboxMessages>): NonNullable<MutationResolvers['replayOutboxMessages']> =>
  (_parent, args, context) =>
    replay({
      principal: context.principal,
      limit: args.limit,
      reason: args.reason,
      filter: {
        conversationId: args.filter.conversationId ?? undefined,
        eventType: args.filter.eventType ?? undefined,
        createdAfter: args.filter.createdAfter ? new Date(args.filter.createdAfter) : undefined,
        createdBefore: args.filter.createdBefore ? new Date(args.filter.createdBefore) : undefined,
      },
    });
