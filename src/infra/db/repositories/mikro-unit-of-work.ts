import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { NewOutboxMessage } from '../../../domain/outbox-message';
import type { UnitOfWork, WriterTx } from '../../../domain/ports/unit-of-work';
import type { Database } from '../create-database';
import { inTransaction, placeholders } from '../transaction';

const OUTBOX_INSERT_COLUMNS = '(event_id, aggregate_id, aggregate_seq, event_type, topic, payload, headers, status, attempts, max_attempts, next_attempt_at, created_at)';

const appendOutbox = async (em: EntityManager, messages: readonly NewOutboxMessage[]) => {
  if (messages.length === 0) return;
  const values = messages.map(() => `(${placeholders(12)})`).join(', ');
  const params = messages.flatMap((m) => [
    m.eventId, m.aggregateId, m.aggregateSeq, m.eventType, m.topic, JSON.stringify(m.payload), JSON.stringify(m.headers), 'PENDING', 0, m.maxAttempts, m.createdAt, m.createdAt,
  ]);
  await em.execute(`INSERT INTO outbox_messages ${OUTBOX_INSERT_COLUMNS} VALUES ${values}`, params, 'run');
};

/**
 * Create-if-absent and lock in one statement (no read-then-insert race): the upsert takes the
 * row lock that serialises writers of one conversation, which is what makes sequence numbers
 * gapless and ordered, and bumps last_seq only when the caller owns the row.
 */
const UPSERT_SQL = `INSERT INTO conversations (id, user_id, last_seq, message_count, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?)
  ON DUPLICATE KEY UPDATE last_seq = IF(user_id = VALUES(user_id), last_seq + VALUES(last_seq), last_seq),
                          updated_at = IF(user_id = VALUES(user_id), VALUES(updated_at), updated_at)`;

const isDuplicateKey = (error: unknown) =>
  error instanceof UniqueConstraintViolationException || (error as { errno?: number } | null)?.errno === 1062;

type SeqRow = { user_id: string; last_seq: number | string };

const reserved = (row: SeqRow | undefined, input: { id: string; userId: string; count: number }) => {
  if (!row) throw new Error(`conversation ${input.id} vanished inside its own transaction`);
  if (row.user_id !== input.userId) return null;
  const lastSeq = Number(row.last_seq);
  // Writers always append at least one message, so only the creating call can leave last_seq at count.
  return { firstSeq: lastSeq - input.count + 1, created: lastSeq === input.count };
};

/**
 * MariaDB returns the row as it stands after the upsert (`RETURNING`), so the whole reservation
 * is one round trip; MySQL has no INSERT … RETURNING and reads the row back under the lock.
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
  appendOutbox: (messages) => appendOutbox(em, messages),
  async recordTurn(turn) {
    try {
      await em.execute(
        `INSERT INTO chat_turns (reply_id, user_id, conversation_id, client_message_id, user_message_id, user_seq, content_sha256, model, thinking, traceparent, status, created_at) VALUES (${placeholders(12)})`,
        [turn.replyId, turn.userId, turn.conversationId, turn.clientMessageId, turn.userMessageId, turn.userSeq, turn.contentSha256, turn.model, turn.thinking, turn.traceparent, 'AWAITING', turn.createdAt],
        'run',
      );
      return 'recorded';
    } catch (error) {
      // The unique (user_id, client_message_id) key: a concurrent or earlier send with this key won.
      if (isDuplicateKey(error)) return 'duplicate';
      throw error;
    }
  },
  async completeTurn(input) {
    await em.execute("UPDATE chat_turns SET status = 'REPLIED', replied_at = ? WHERE reply_id = ? AND status = 'AWAITING'", [input.now, input.replyId], 'run');
  },
});

export const createMikroUnitOfWork = (database: Database): UnitOfWork => ({
  run: (work) => inTransaction(database, (em) => work(writerTx(em, database.driver === 'mariadb'))),
});
