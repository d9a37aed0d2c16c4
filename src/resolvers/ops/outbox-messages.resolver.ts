import type { createListOutboxMessages } from '../../application/ops/list-outbox-messages.use-case';
import type { QueryResolvers } from '../../generated/graphql';
import { decodeCursor, encodeCursor, pageSize } from '../cursor';

const isId = (value: unknown): value is { id: string } => typeof value === 'object' && value !== null && /^\d+$/.test(String((value as { id?: unknown }).id));
const dateOf = (value: string | null | undefined) => (value ? new Date(value) : undefined);

export const outboxMessagesResolver =
  (list: ReturnType<typeof createListOutboxMessages>): NonNullable<QueryResolvers['outboxMessages']> =>
  async (_parent, args, context) => {
    const page = await list({
      principal: context.principal,
      first: pageSize(args.first, 50, 500),
      after: args.after ? decodeCursor(args.after, isId).id : undefined,
      filter: {
        status: args.status ?? undefined,
        conversationId: args.conversationId ?? undefined,
        eventType: args.eventType ?? undefined,
        createdAfter: dateOf(args.createdAfter),
        createdBefore: dateOf(args.createdBefore),
      },
    });
    const edges = page.items.map((node) => ({ node, cursor: encodeCursor({ id: node.id }) }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  };
