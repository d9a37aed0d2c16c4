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

const writerTx = (em: EntityManager): WriterTx => ({
  async lockConversation({ id, userId, now }) {
    // Create-if-absent without a read-then-insert race; the row lock below then serialises
    // writers of one conversation, which is what makes sequence numbers gapless and ordered.
    const inserted = await em.execute<{ affectedRows: number }>(
      'INSERT INTO conversations (id, user_id, last_seq, message_count, created_at, updated_at) VALUES (?, ?, 0, 0, ?, ?) ON DUPLICATE KEY UPDATE id = id',
      [id, userId, now, now],
      'run',
    );
    const [row] = await em.execute<{ user_id: string; last_seq: number }[]>('SELECT user_id, last_seq FROM conversations WHERE id = ? FOR UPDATE', [id]);
    if (!row) throw new Error(`conversation ${id} vanished inside its own transaction`);
    return { id, userId: row.user_id, lastSeq: Number(row.last_seq), created: inserted.affectedRows === 1 };
  },
  async advanceSeq({ id, lastSeq, now }) {
    await em.execute('UPDATE conversations SET last_seq = ?, updated_at = ? WHERE id = ?', [lastSeq, now, id], 'run');
  },
  appendOutbox: (messages) => appendOutbox(em, messages),
});

export const createMikroUnitOfWork = (database: Database): UnitOfWork => ({
  run: (work) => inTransaction(database, (em) => work(writerTx(em))),
});
