import type { ConversationQueries } from '../../domain/chat/views';
import type { QueryResolvers } from '../../generated/graphql';
import { decodeCursor, defaultPageSize, pageSize, toConnection } from '../cursor';

const isKey = (value: unknown): value is { t: string; id: string } =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { t?: unknown }).t === 'string' &&
  typeof (value as { id?: unknown }).id === 'string';

export const conversationsResolver =
  (queries: ConversationQueries): NonNullable<QueryResolvers['conversations']> =>
  async (_parent, args, context, info) => {
    const key = args.after ? decodeCursor(args.after, isKey) : undefined;
    const page = await queries.listForUser({
      userId: context.principal.userId,
      first: pageSize(args.first ?? defaultPageSize(info)),
      after: key && { createdAt: new Date(key.t), id: key.id },
    });
    return toConnection(page, (node) => ({ t: node.createdAt.toISOString(), id: node.id }));
  };
