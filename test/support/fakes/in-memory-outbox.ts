import { boundError, type OutboxMessage } from '../../../src/domain/outbox-message';
import { inConversationOrder } from '../../../src/domain/conversation-order';
import { isLost } from '../../../src/domain/lost-records';
import type { Clock } from '../../../src/domain/ports/clock';
import type { Claim, OutboxRelayStore } from '../../../src/domain/ports/outbox-relay-store';
import type { UnitOfWork } from '../../../src/domain/ports/unit-of-work';
import { anOutboxMessage } from '../builders';
import { createInMemoryUnitOfWork } from './in-memory-unit-of-work';
import type { ChatTurns } from '../../../src/domain/ports/chat-turns';
import { createInMemoryChatTurns } from './in-memory-chat-turns';
import {
  clearClaim,
  copyRow,
  createOutboxState,
  ownedPending,
  rowsInIdOrder,
  toMessage,
  type ConversationRow,
  type OutboxRow,
  type OutboxState,
} from './outbox-state';
import { sequentialUuid } from './sequential-ids';

const isDue = (row: OutboxRow, now: Date) =>
  row.status === 'PENDING' && row.nextAttemptAt <= now && (row.claimExpiresAt === null || row.claimExpiresAt <= now);

/**
 * Same two steps as the SQL claim: due candidates in id order up to the limit, each linked to
 * the PENDING row just ahead of it in its conversation, then the domain's order check. Like the
 * SQL, the check runs after the LIMIT, so blocked rows use up batch slots (see the report on
 * head-of-line starvation); change both together.
 */
const claimRows = (state: OutboxState, input: Parameters<OutboxRelayStore['claim']>[0], token: string): Claim => {
  const pending = [...state.rows.values()].filter((r) => r.status === 'PENDING');
  const prevPendingSeq = (row: OutboxRow) => {
    const ahead = pending
      .filter((r) => r.aggregateId === row.aggregateId && r.aggregateSeq < row.aggregateSeq)
      .map((r) => r.aggregateSeq);
    return ahead.length ? Math.max(...ahead) : null;
  };
  const candidates = rowsInIdOrder(state)
    .filter((row) => isDue(row, input.now))
    .slice(0, input.batchSize)
    .map((row) => ({
      row,
      aggregateId: row.aggregateId,
      aggregateSeq: row.aggregateSeq,
      prevPendingSeq: prevPendingSeq(row),
    }));
  const claimable = inConversationOrder(candidates).map((c) => c.row);
  for (const row of claimable) {
    row.claimOwner = input.owner;
    row.claimToken = token;
    row.claimExpiresAt = new Date(input.now.getTime() + input.leaseMs);
  }
  return { token, messages: claimable.map(toMessage) };
};

const stalePublished = (state: OutboxState, publishedBefore: Date) =>
  [...state.rows.values()]
    .filter((r) => r.status === 'PUBLISHED' && r.publishedAt !== null && r.publishedAt < publishedBefore)
    .sort((a, b) => (a.publishedAt?.getTime() ?? 0) - (b.publishedAt?.getTime() ?? 0));

const createStore = (state: OutboxState): OutboxRelayStore => {
  let tokens = 0;
  return {
    async claim(input) {
      tokens += 1;
      return claimRows(state, input, sequentialUuid(tokens, 0xc1a1));
    },
    async hasDue(now) {
      return [...state.rows.values()].some((row) => isDue(row, now));
    },
    async markPublished({ token, ids, now, positions }) {
      const rows = ownedPending(state, token, ids);
      for (const row of rows) {
        Object.assign(row, { status: 'PUBLISHED', publishedAt: now, position: positions?.get(row.id) ?? null });
        clearClaim(row);
      }
      return rows.length;
    },
    async recordFailures({ token, failures, now }) {
      let changed = 0;
      for (const failure of failures) {
        const [row] = ownedPending(state, token, [failure.id]);
        if (!row) continue;
        row.attempts = failure.decision.attempts;
        row.lastError = boundError(failure.error);
        if (failure.decision.kind === 'dead') Object.assign(row, { status: 'DEAD', deadAt: now });
        else row.nextAttemptAt = failure.decision.nextAttemptAt;
        clearClaim(row);
        changed += 1;
      }
      return changed;
    },
    async release({ token, ids }) {
      const rows = ownedPending(state, token, ids);
      rows.forEach(clearClaim);
      return rows.length;
    },
    async sweepTopics(publishedBefore) {
      return [
        ...new Set(
          stalePublished(state, publishedBefore)
            .filter((r) => r.position !== null)
            .map((r) => r.topic),
        ),
      ];
    },
    async sweep({ publishedBefore, now, limit, lost }) {
      const stale = stalePublished(state, publishedBefore);
      const requeue = (rows: OutboxRow[]) => {
        const chosen = rows.slice(0, limit);
        for (const row of chosen)
          Object.assign(row, { status: 'PENDING', nextAttemptAt: now, publishedAt: null, position: null });
        return chosen.length;
      };
      const unrecorded = requeue(stale.filter((r) => r.position === null));
      const lostRows = requeue(
        stale.filter(
          (r) => r.position !== null && lost !== undefined && isLost(lost, { topic: r.topic, ...r.position }),
        ),
      );
      const expired = [...state.rows.values()]
        .filter((r) => r.status === 'PENDING' && r.claimExpiresAt !== null && r.claimExpiresAt < now)
        .slice(0, limit);
      expired.forEach(clearClaim);
      return { unrecorded, lost: lostRows, released: expired.length };
    },
    async deleteConsumed({ consumedBefore, limit }) {
      const old = [...state.rows.values()]
        .filter((r) => r.status === 'CONSUMED' && r.consumedAt !== null && r.consumedAt < consumedBefore)
        .sort((a, b) => (a.consumedAt?.getTime() ?? 0) - (b.consumedAt?.getTime() ?? 0))
        .slice(0, limit);
      for (const row of old) state.rows.delete(row.id);
      return old.length;
    },
  };
};

export type SeedRow = Partial<Omit<OutboxMessage, 'id'>> &
  Partial<Pick<OutboxRow, 'claimToken' | 'claimExpiresAt' | 'publishedAt' | 'consumedAt' | 'position'>>;

export interface InMemoryOutbox {
  readonly store: OutboxRelayStore;
  readonly uow: UnitOfWork;
  /** Inserts a row directly (id assigned here); times default to the clock's now. */
  seed(overrides?: SeedRow): OutboxMessage;
  /** Copies of every row in id order. */
  rows(): OutboxRow[];
  row(id: string): OutboxRow;
  conversation(id: string): ConversationRow | undefined;
  /** chat_turns as the writer committed them. */
  readonly turns: ChatTurns;
}

/** A stateful outbox: the relay store and the writer's unit of work over the same rows. */
export const createInMemoryOutbox = (options: { clock?: Clock } = {}): InMemoryOutbox => {
  const state = createOutboxState();
  const now = () => options.clock?.now() ?? new Date();
  return {
    store: createStore(state),
    uow: createInMemoryUnitOfWork(state),
    seed(overrides = {}) {
      const at = now();
      const {
        claimToken = null,
        claimExpiresAt = null,
        publishedAt = null,
        consumedAt = null,
        position = null,
        ...message
      } = overrides;
      const base = anOutboxMessage({ nextAttemptAt: at, createdAt: at, ...message, id: String(state.nextRowId++) });
      const row: OutboxRow = {
        ...base,
        claimOwner: claimToken ? 'seed' : null,
        claimToken,
        claimExpiresAt,
        publishedAt,
        consumedAt,
        deadAt: null,
        position,
      };
      state.rows.set(row.id, row);
      return toMessage(row);
    },
    rows: () => rowsInIdOrder(state).map(copyRow),
    row(id) {
      const row = state.rows.get(id);
      if (!row) throw new Error(`no outbox row ${id}`);
      return copyRow(row);
    },
    conversation(id) {
      const conversation = state.conversations.get(id);
      return conversation && { ...conversation };
    },
    turns: createInMemoryChatTurns(state.turns),
  };
};
