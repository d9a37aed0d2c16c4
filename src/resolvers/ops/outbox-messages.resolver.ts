import type { createListOutboxMessages } from '../../application/ops/list-outbox-messages.use-case';
import type { QueryResolvers } from '../../generated/graphql';
import { decodeCursor, defaultPageSize, pageSize, toConnection } from '../cursor';

const isId = (value: unknown): value is { id: string } =>
  typeof value === 'object' && value !== null && /^\d+$/.test(String((value as { id?: unknown }).id));
const dateOf = (value: string | null | undefined) => (value ? new Date(value) : undefined);

/** GraphQL's optional filter arguments (null when absent) as the use cases' filter. */
export const outboxFilterFrom = <S>(args: {
  status?: S | null;
  conversationId?: string | null;
  eventType?: string | null;
  createdAfter?: string | null;
  createdBefore?: string | null;
}) => ({
  status: args.status ?? undefined,
  conversationId: args.conversationId ?? undefined,
  eventType: args.eventType ?? undefined,
  createdAfter: dateOf(args.createdAfter),
  createdBefore: dateOf(args.createdBefore),
});

export const outboxMessagesResolver =
  (list: ReturnType<typeof createListOutboxMessages>): NonNullable<QueryResolvers['outboxMessages']> =>
  async (_parent, args, context, info) => {
    const page = await list({
      principal: context.principal,
      first: pageSize(args.first ?? defaultPageSize(info), 500),
      after: args.after ? decodeCursor(args.after, isId).id : undefined,
      filter: outboxFilterFrom(args),
    });
    return toConnection(page, (node) => ({ id: node.id }));
  };
