import type { StoredMessage } from './operations';

/** One page of a conversation's history as the API returns it; null when the conversation is missing or not this user's. */
export type HistoryPage = {
  readonly messages: readonly StoredMessage[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
} | null;

/** Reads the page after a cursor (null: from the first message). */
export type ReadHistoryPage = (after: string | null) => Promise<HistoryPage>;

export interface History {
  readonly messages: StoredMessage[];
  /** The last message's cursor: the next stored message comes after it. */
  readonly endCursor: string | null;
}

/**
 * A conversation's history from `after` on, page after page until the last, in order; null when
 * it is missing. DOM-free so the paging is tested on its own. A page that claims more but does not
 * move its cursor on would loop for ever: that is an error, not a retry.
 */
export const readHistory = async (readPage: ReadHistoryPage, after: string | null = null): Promise<History | null> => {
  const messages: StoredMessage[] = [];
  let cursor = after;
  for (;;) {
    const page = await readPage(cursor);
    if (!page) return null;
    messages.push(...page.messages);
    if (!page.hasNextPage) return { messages, endCursor: page.endCursor ?? cursor };
    if (page.endCursor === null || page.endCursor === cursor)
      throw new Error(`history paging is stuck at cursor ${String(cursor)}`);
    cursor = page.endCursor;
  }
};
