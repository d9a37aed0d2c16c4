import type { ChatTurn } from '../../../src/domain/chat/chat-types';
import type { OutboxMessage } from '../../../src/domain/outbox-message';
import type { LogPosition } from '../../../src/domain/ports/event-publisher';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** An outbox row as the table holds it: the message plus claim and lifecycle columns. */
export interface OutboxRow extends Mutable<OutboxMessage> {
  claimOwner: string | null;
  claimToken: string | null;
  claimExpiresAt: Date | null;
  publishedAt: Date | null;
  consumedAt: Date | null;
  deadAt: Date | null;
  /** kafka_partition / kafka_offset: where the row was last published. */
  position: LogPosition | null;
}

export interface ConversationRow {
  readonly id: string;
  readonly userId: string;
  lastSeq: number;
}

/** The shared "tables" behind the in-memory store and unit of work. */
export interface OutboxState {
  readonly rows: Map<string, OutboxRow>;
  readonly conversations: Map<string, ConversationRow>;
  /** chat_turns by reply id. */
  readonly turns: Map<string, ChatTurn>;
  nextRowId: number;
}

export const createOutboxState = (): OutboxState => ({
  rows: new Map(),
  conversations: new Map(),
  turns: new Map(),
  nextRowId: 1,
});

/** Rows in primary-key order (ids are numeric strings, like the BIGINT column). */
export const rowsInIdOrder = (state: OutboxState): OutboxRow[] =>
  [...state.rows.values()].sort((a, b) => Number(a.id) - Number(b.id));

export const clearClaim = (row: OutboxRow) => {
  row.claimOwner = null;
  row.claimToken = null;
  row.claimExpiresAt = null;
};

export const toMessage = (row: OutboxRow): OutboxMessage => {
  const {
    claimOwner: _o,
    claimToken: _t,
    claimExpiresAt: _e,
    publishedAt: _p,
    consumedAt: _c,
    deadAt: _d,
    position: _l,
    ...message
  } = row;
  return { ...message, headers: { ...message.headers } };
};

export const copyRow = (row: OutboxRow): OutboxRow => ({ ...row });

/** The `WHERE id IN (…) AND status = 'PENDING' AND claim_token = ?` fence of every relay write. */
export const ownedPending = (state: OutboxState, token: string, ids: readonly string[]): OutboxRow[] =>
  ids.flatMap((id) => {
    const row = state.rows.get(id);
    return row && row.status === 'PENDING' && row.claimToken === token ? [row] : [];
  });
