import { createHash } from 'node:crypto';

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A message whose commit was confirmed: it must be in history at exactly this (conversation, seq). */
export interface ExactEntry {
  readonly conversationId: string;
  readonly seq: number;
  readonly hash: string;
  readonly source: 'writer' | 'api';
}

/** An API send that succeeded: the user message is exact; the reply's content is known, its seq is not. */
export interface ExpectedReply {
  readonly conversationId: string;
  readonly afterSeq: number;
  readonly hash: string;
}

/**
 * A write whose outcome we could not see (the call failed: killed connection, timeout). Its
 * transaction either committed or not, so its messages must be in history all or none.
 * `optional` hashes (a reply that may or may not have been started) may be absent either way.
 */
export interface UncertainWrite {
  readonly conversationId: string | null;
  readonly hashes: readonly string[];
  readonly optional: readonly string[];
  readonly error: string;
  /** When the call was given up (epoch ms), to tell which outage it fell into. */
  readonly at?: number;
}

/** One sendMessage as the client saw it, across its retries (all with one clientMessageId). */
export interface SendRecord {
  readonly clientMessageId: string | null;
  readonly conversationId: string | null;
  readonly hash: string;
  /** Calls made for it: 1 when the first answer arrived. */
  readonly attempts: number;
  /** The client got an answer with the message (on the first call or a retry). */
  readonly acknowledged: boolean;
  /** The last error code when it was not acknowledged (IDEMPOTENCY_CONFLICT must never occur). */
  readonly lastCode?: string;
}

/** Every message the run expects in history, and how sure it is about each. */
export const createLedger = () => {
  const exact: ExactEntry[] = [];
  const sends: SendRecord[] = [];
  const replies: ExpectedReply[] = [];
  const uncertain: UncertainWrite[] = [];
  return {
    exact,
    replies,
    uncertain,
    sends,
    recordSend: (send: SendRecord) => sends.push(send),
    confirm: (entry: ExactEntry) => exact.push(entry),
    expectReply: (reply: ExpectedReply) => replies.push(reply),
    unsure: (write: UncertainWrite) => uncertain.push(write),
    /** Messages handed to the service so far (confirmed, expected replies and unsure ones). */
    sent: () => exact.length + replies.length + uncertain.reduce((n, u) => n + u.hashes.length, 0),
  };
};

export type Ledger = ReturnType<typeof createLedger>;
