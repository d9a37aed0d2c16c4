import type { createOutboxStats } from '../../application/ops/outbox-stats.use-case';
import type { OutboxStatsResolvers, QueryResolvers } from '../../generated/graphql';
import { OUTBOX_STATUSES } from '../../domain/outbox-status';

export const outboxStatsResolver =
  (stats: ReturnType<typeof createOutboxStats>): NonNullable<QueryResolvers['outboxStats']> =>
  (_parent, _args, context) =>
    stats({ principal: context.principal });

export const OutboxStats: OutboxStatsResolvers = {
  counts: (stats) => OUTBOX_STATUSES.map((status) => ({ status, count: stats.counts[status] })),
};
