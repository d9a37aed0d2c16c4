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

/** Waits between reads for a message to reach history: through the outbox, the relay, Kafka and the consumer, usually within a second. */
export const STORED_CHECK_DELAYS_MS: readonly number[] = [250, 500, 1_000, 2_000, 4_000, 4_000, 8_000, 8_000];

/**
 * Reads history after `after` until it holds `messageId` (a completed or stopped reply, stored under
 * its reply id), sleeping the given delays between reads; the history read up to it, or undefined
 * when it never came in that time (or the conversation went away). A failed read is tried again.
 */
export const waitForStoredMessage = async (wait: {
  readonly readPage: ReadHistoryPage;
  readonly after: string | null;
  readonly messageId: string;
  readonly delaysMs?: readonly number[];
  readonly sleep: (ms: number) => Promise<void>;
}): Promise<History | undefined> => {
  for (const delay of wait.delaysMs ?? STORED_CHECK_DELAYS_MS) {
    await wait.sleep(delay);
    const history = await readHistory(wait.readPage, wait.after).catch(() => 'failed' as const);
    if (history === null) return undefined;
    if (history !== 'failed' && history.messages.some((message) => message.id === wait.messageId)) return history;
  }
  return undefined;
};
