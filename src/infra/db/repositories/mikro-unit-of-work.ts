import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { UnitOfWork, WriterTx } from '../../../domain/ports/unit-of-work';
import type { Database } from '../create-database';
import { ChatTurnEntity } from '../entities/chat-turn.entity';
import { enqueueOutbox } from '../outbox/enqueue-outbox';
import { inTransaction } from '../transaction';

/**
 * Create-if-absent and lock in one statement (no read-then-insert race): the upsert takes the
 * row lock that serialises writers of one conversation, which is what makes sequence numbers
 * gapless and ordered, and bumps last_seq only when the caller owns the row. It stays SQL: the
 * conditional increment has no unit-of-work form short of SELECT … FOR UPDATE plus an insert
 * that may race, i.e. more round trips while holding the lock.
 */
const UPSERT_SQL = `INSERT INTO conversations (id, user_id, last_seq, message_count, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?)
  ON DUPLICATE KEY UPDATE last_seq = IF(user_id = VALUES(user_id), last_seq + VALUES(last_seq), last_seq),
                          updated_at = IF(user_id = VALUES(user_id), VALUES(updated_at), updated_at)`;

/** The unique (user_id, client_message_id) key: a concurrent or earlier send with this key won. */
const isDuplicateTurn = (error: unknown) =>
  error instanceof UniqueConstraintViolationException && /chat_turns_user_client_uq/.test(error.message);

type SeqRow = { user_id: string; last_seq: number | string };

const reserved = (row: SeqRow | undefined, input: { id: string; userId: string; count: number }) => {
  if (!row) throw new Error(`conversation ${input.id} vanished inside its own transaction`);
  if (row.user_id !== input.userId) return null;
  const lastSeq = Number(row.last_seq);
  // Writers always append at least one message, so only the creating call can leave last_seq at count.
  return { firstSeq: lastSeq - input.count + 1, created: lastSeq === input.count };
};

/**
 * The conversation's seq reservation is SQL on the transaction's connection; outbox rows and the
 * turn are entities persisted in the same EntityManager, inserted by its flush (before commit,
 * in the same transaction; em.transactional flushes whatever is still pending). MariaDB returns
 * the upserted row (`RETURNING`), so the reservation is one round trip; MySQL has no
 * INSERT … RETURNING and reads the row back under the lock.
 */
const writerTx = (em: EntityManager, returning: boolean): WriterTx => ({
  async reserveSeqs(input) {
    if (input.count < 1) throw new Error(`reserveSeqs needs count >= 1, got ${input.count}`);
    const params = [input.id, input.userId, input.count, input.now, input.now];
    if (returning) {
      const [row] = await em.execute<SeqRow[]>(`${UPSERT_SQL} RETURNING user_id, last_seq`, params);
      return reserved(row, input);
    }
    await em.execute(UPSERT_SQL, params, 'run');
    const [row] = await em.execute<SeqRow[]>('SELECT user_id, last_seq FROM conversations WHERE id = ?', [input.id]);
    return reserved(row, input);
  },
  async appendOutbox(messages) {
    for (const message of messages) enqueueOutbox(em, message);
  },
  async recordTurn(turn) {
    em.persist(Object.assign(new ChatTurnEntity(), { ...turn, status: 'AWAITING' }));
    // Flushed here, with the outbox rows persisted before it, so a duplicate key is known now.
    try {
      await em.flush();
      return 'recorded';
    } catch (error) {
      if (isDuplicateTurn(error)) return 'duplicate';
      throw error;
    }
  },
  async completeTurn(input) {
    // A guarded UPDATE of a row this unit of work never loaded: SQL, which costs less CPU than
    // em.nativeUpdate's query builder (measured with bench/experiments/writer-cpu.ts).
    // The row lock orders two runs storing one reply: the second sees REPLIED and changes nothing.
    const changed = await em.execute<{ affectedRows: number }>(
      "UPDATE chat_turns SET status = 'REPLIED', replied_at = ? WHERE reply_id = ? AND status = 'AWAITING'",
      [input.now, input.replyId],
      'run',
    );
    return changed.affectedRows > 0 ? 'completed' : 'not-awaiting';
  },
});

export const createMikroUnitOfWork = (database: Database): UnitOfWork => ({
  run: (work) => inTransaction(database, (em) => work(writerTx(em, database.driver === 'mariadb'))),
});
