import type { ChatTurn } from '../../../src/domain/chat/chat-types';
import type { NewOutboxMessage } from '../../../src/domain/outbox-message';
import type { UnitOfWork, WriterTx } from '../../../src/domain/ports/unit-of-work';
import type { ConversationRow, OutboxState } from './outbox-state';

/** Writes made inside one `run`: applied together on success, dropped when the work throws. */
interface Pending {
  readonly conversations: Map<string, ConversationRow>;
  readonly outbox: NewOutboxMessage[];
  readonly turns: Map<string, ChatTurn>;
}

const writerTx = (state: OutboxState, pending: Pending): WriterTx => {
  const read = (id: string) => pending.conversations.get(id) ?? state.conversations.get(id);
  return {
    async reserveSeqs({ id, userId, count }) {
      if (count < 1) throw new Error(`reserveSeqs needs count >= 1, got ${count}`);
      const existing = read(id);
      if (existing && existing.userId !== userId) return null;
      const conversation = existing ?? { id, userId, lastSeq: 0 };
      pending.conversations.set(id, { ...conversation, lastSeq: conversation.lastSeq + count });
      return { firstSeq: conversation.lastSeq + 1, created: !existing };
    },
    async appendOutbox(messages) {
      pending.outbox.push(...messages);
    },
    async recordTurn(turn) {
      // The unique (user_id, client_message_id) key, committed turns and this transaction's alike.
      const all = [...state.turns.values(), ...pending.turns.values()];
      if (
        turn.clientMessageId !== null &&
        all.some((t) => t.userId === turn.userId && t.clientMessageId === turn.clientMessageId)
      )
        return 'duplicate';
      pending.turns.set(turn.replyId, { ...turn, status: 'AWAITING' });
      return 'recorded';
    },
    async completeTurn({ replyId }) {
      const turn = pending.turns.get(replyId) ?? state.turns.get(replyId);
      if (turn?.status !== 'AWAITING') return 'not-awaiting';
      pending.turns.set(replyId, { ...turn, status: 'REPLIED' });
      return 'completed';
    },
  };
};

const commit = (state: OutboxState, pending: Pending) => {
  for (const conversation of pending.conversations.values()) state.conversations.set(conversation.id, conversation);
  for (const turn of pending.turns.values()) state.turns.set(turn.replyId, turn);
  for (const { payload, ...m } of pending.outbox) {
    const id = String(state.nextRowId++);
    state.rows.set(id, {
      ...m,
      // What the JSON column holds and the relay reads back as text.
      payloadJson: JSON.stringify(payload),
      id,
      status: 'PENDING',
      attempts: 0,
      nextAttemptAt: m.createdAt,
      lastError: null,
      claimOwner: null,
      claimToken: null,
      position: null,
      claimExpiresAt: null,
      publishedAt: null,
      consumedAt: null,
      deadAt: null,
    });
  }
};

/** Transactions run one at a time (as the conversation row lock would order them). */
export const createInMemoryUnitOfWork = (state: OutboxState): UnitOfWork => {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(work: (tx: WriterTx) => Promise<T>): Promise<T> {
      const result = tail.then(async () => {
        const pending: Pending = { conversations: new Map(), outbox: [], turns: new Map() };
        const value = await work(writerTx(state, pending));
        commit(state, pending);
        return value;
      });
      tail = result.catch(() => undefined);
      return result;
    },
  };
};
