import type { GraphQLField, GraphQLResolveInfo } from 'graphql';
import { AppError } from '../domain/errors';

/** Opaque page cursors: clients pass them back unchanged; anything else is a typed input error. */
const encodeCursor = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export const decodeCursor = <T>(cursor: string, isValid: (value: unknown) => value is T): T => {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (isValid(value)) return value;
  } catch {
    // fall through to the typed error
  }
  throw new AppError('BAD_USER_INPUT', 'after is not a cursor from this list');
};

/** A Relay-style connection over one page: each node's cursor from `keyOf`, endCursor the last one. */
export const toConnection = <T>(page: { items: readonly T[]; hasNextPage: boolean }, keyOf: (node: T) => unknown) => {
  const edges = page.items.map((node) => ({ node, cursor: encodeCursor(keyOf(node)) }));
  return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
};

/**
 * A paginated field's page size when `first` is not given, as its SDL declares it
 * (`messages(first: Int = 50)`): the one place each default is written. graphql-js applies it
 * when `first` is absent, the resolvers read it for an explicit `first: null`, and the query
 * limits cost an operation with it, so what is estimated is what is loaded.
 */
export const declaredPageSize = (field: GraphQLField<unknown, unknown> | undefined): number | undefined => {
  const value = field?.args.find((arg) => arg.name === 'first')?.defaultValue;
  return typeof value === 'number' ? value : undefined;
};

/** The declared default page size of the field being resolved. */
export const defaultPageSize = (info: GraphQLResolveInfo): number => {
  const size = declaredPageSize(info.parentType.getFields()[info.fieldName]);
  // A schema mistake, not a client's: a unit test checks every paginated field declares one.
  if (size === undefined) throw new Error(`${info.parentType.name}.${info.fieldName} declares no default for first`);
  return size;
};

/** Page sizes are bounded so one query cannot ask for the whole table. */
export const pageSize = (size: number, max = 100): number => {
  if (!Number.isInteger(size) || size < 1 || size > max)
    throw new AppError('BAD_USER_INPUT', `first must be between 1 and ${max}`);
  return size;
};
