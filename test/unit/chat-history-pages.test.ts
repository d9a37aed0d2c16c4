import {
  readHistory,
  STORED_CHECK_DELAYS_MS,
  waitForStoredMessage,
  type HistoryPage,
} from '../../web/chat/history-pages';
import type { StoredMessage } from '../../web/chat/operations';

const message = (seq: number): StoredMessage => ({
  id: `m${seq}`,
  seq,
  role: seq % 2 === 1 ? 'USER' : 'ASSISTANT',
  content: `message ${seq}`,
  reasoning: null,
  model: null,
  partial: false,
});

/** A stored history of `count` messages served 40 at a time, cursors "c<seq>" as the API's are opaque strings; records each `after` asked. */
const storedHistory = (count: number, pageSize = 40) => {
  const all = Array.from({ length: count }, (_, i) => message(i + 1));
  const asked: (string | null)[] = [];
  const readPage = async (after: string | null): Promise<HistoryPage> => {
    asked.push(after);
    const start = after === null ? 0 : Number(after.slice(1));
    const messages = all.slice(start, start + pageSize);
    const last = messages.at(-1);
    return { messages, hasNextPage: start + pageSize < count, endCursor: last ? `c${last.seq}` : null };
  };
  return { all, asked, readPage };
};

describe('the chat page reads a conversation history page after page', () => {
  it('reads 95 messages in three pages of 40, in order, each page after the last cursor', async () => {
    const history = storedHistory(95);
    const result = await readHistory(history.readPage);
    expect(result?.messages.map((m) => m.seq)).toEqual(history.all.map((m) => m.seq));
    expect(history.asked).toEqual([null, 'c40', 'c80']);
    expect(result?.endCursor).toBe('c95');
  });

  it('reads exactly 40 in one page, and 41 in two', async () => {
    const forty = storedHistory(40);
    expect((await readHistory(forty.readPage))?.messages).toHaveLength(40);
    expect(forty.asked).toEqual([null]);
    const fortyOne = storedHistory(41);
    expect((await readHistory(fortyOne.readPage))?.messages.map((m) => m.seq)).toEqual(
      Array.from({ length: 41 }, (_, i) => i + 1),
    );
    expect(fortyOne.asked).toEqual([null, 'c40']);
  });

  it('reads on from a cursor: only what was stored after it, keeping that cursor when nothing was', async () => {
    const history = storedHistory(45);
    expect((await readHistory(history.readPage, 'c42'))?.messages.map((m) => m.seq)).toEqual([43, 44, 45]);
    const nothingNew = await readHistory(history.readPage, 'c45');
    expect(nothingNew).toEqual({ messages: [], endCursor: 'c45' });
  });

  it('says null for a missing conversation (or another user’s)', async () => {
    await expect(readHistory(async () => null)).resolves.toBeNull();
  });

  it('stops with an error when a page says there is more but its cursor does not move', async () => {
    const stuck = async (): Promise<HistoryPage> => ({ messages: [message(1)], hasNextPage: true, endCursor: null });
    await expect(readHistory(stuck)).rejects.toThrow('history paging is stuck at cursor null');
  });
});

describe('the chat page waits for a reply to reach history before it counts it', () => {
  /** History of two messages (user 1, reply 2 once stored); `store()` stores the reply. */
  const conversation = () => {
    const stored = [message(1)];
    const asked: (string | null)[] = [];
    const readPage = async (after: string | null): Promise<HistoryPage> => {
      asked.push(after);
      const messages = stored.filter((m) => after === null || m.seq > Number(after.slice(1)));
      const last = messages.at(-1);
      return { messages, hasNextPage: false, endCursor: last ? `c${last.seq}` : null };
    };
    return { asked, readPage, store: () => stored.push(message(2)) };
  };

  it('reads history after each delay until the reply is there, from the cursor it had read to', async () => {
    const history = conversation();
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
      if (slept.length === 3) history.store();
    };
    const found = await waitForStoredMessage({ readPage: history.readPage, after: 'c1', messageId: 'm2', sleep });
    expect(found).toEqual({ messages: [message(2)], endCursor: 'c2' });
    expect(slept).toEqual(STORED_CHECK_DELAYS_MS.slice(0, 3));
    expect(history.asked).toEqual(['c1', 'c1', 'c1']);
  });

  it('tries again after a failed read', async () => {
    const history = conversation();
    history.store();
    let reads = 0;
    const flaky = async (after: string | null) => {
      reads += 1;
      if (reads === 1) throw new TypeError('Failed to fetch');
      return history.readPage(after);
    };
    const found = await waitForStoredMessage({ readPage: flaky, after: null, messageId: 'm2', sleep: async () => {} });
    expect(found?.endCursor).toBe('c2');
    expect(reads).toBe(2);
  });

  it('gives up once its delays are spent, or at once when the conversation is gone', async () => {
    const history = conversation();
    const slept: number[] = [];
    const sleep = async (ms: number) => void slept.push(ms);
    await expect(
      waitForStoredMessage({ readPage: history.readPage, after: null, messageId: 'm2', delaysMs: [5, 6], sleep }),
    ).resolves.toBeUndefined();
    expect(slept).toEqual([5, 6]);
    const gone = await waitForStoredMessage({ readPage: async () => null, after: null, messageId: 'm2', sleep });
    expect(gone).toBeUndefined();
  });
});
