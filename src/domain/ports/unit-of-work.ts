import type { ChatTurn } from '../chat/chat-types';
import type { NewOutboxMessage } from '../outbox-message';

interface ReservedSeqs {
  /** The first of the `count` consecutive sequence numbers handed out. */
  readonly firstSeq: number;
  /** True when this call created the conversation. */
  readonly created: boolean;
}

/** What a writer may do inside one transaction. */
export interface WriterTx {
  /**
   * Creates the conversation for `userId` when absent, locks its row until commit and hands out
   * the next `count` (≥ 1) sequence numbers. `null` when the conversation belongs to another
   * user: nothing was handed out, and the caller must abandon the transaction.
   */
  reserveSeqs(input: { id: string; userId: string; count: number; now: Date }): Promise<ReservedSeqs | null>;
  /** Inserts outbox rows as PENDING, due now. */
  appendOutbox(messages: readonly NewOutboxMessage[]): Promise<void>;
  /**
   * Records an AWAITING turn. 'duplicate' when the user already has a turn with this client
   * message id: nothing was written, and the caller must abandon the transaction.
   */
  recordTurn(turn: Omit<ChatTurn, 'status'>): Promise<'recorded' | 'duplicate'>;
  /**
   * Marks the AWAITING turn REPLIED. 'not-awaiting' when no turn with this reply id awaits its
   * reply (it was replied, in the transaction that stored its message, or is unknown): nothing
   * was changed, and the caller must abandon the transaction.
   */
  completeTurn(input: { replyId: string; now: Date }): Promise<'completed' | 'not-awaiting'>;
}

/**
 * One database transaction. Guarantee: either every write made through `tx` commits or
 * none does; work after `run` resolves sees it committed. Deadlocks are retried inside.
 * After a commit that appended outbox rows the relay is woken (best effort, never awaited);
 * a rolled-back transaction wakes nothing.
 */
export interface UnitOfWork {
  run<T>(work: (tx: WriterTx) => Promise<T>): Promise<T>;
}
