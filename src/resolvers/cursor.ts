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

/** Page sizes are bounded so one query cannot ask for the whole table. */
export const pageSize = (first: number | null | undefined, fallback: number, max = 100): number => {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > max)
    throw new AppError('BAD_USER_INPUT', `first must be between 1 and ${max}`);
  return size;
};
