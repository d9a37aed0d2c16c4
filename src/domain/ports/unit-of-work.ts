import type { NewOutboxMessage } from '../outbox-message';

export interface LockedConversation {
  readonly id: string;
  readonly userId: string;
  readonly lastSeq: number;
  readonly created: boolean;
}

/** What a writer may do inside one transaction. */
export interface WriterTx {
  /** Locks the conversation row until commit, creating it for `userId` when absent. */
  lockConversation(input: { id: string; userId: string; now: Date }): Promise<LockedConversation>;
  /** Moves a locked conversation's last handed-out sequence number forward. */
  advanceSeq(input: { id: string; lastSeq: number; now: Date }): Promise<void>;
  /** Inserts outbox rows as PENDING, due now. */
  appendOutbox(messages: readonly NewOutboxMessage[]): Promise<void>;
}

/**
 * One database transaction. Guarantee: either every write made through `tx` commits or
 * none does; work after `run` resolves sees it committed. Deadlocks are retried inside.
 */
export interface UnitOfWork {
  run<T>(work: (tx: WriterTx) => Promise<T>): Promise<T>;
}
