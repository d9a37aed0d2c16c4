import type { OpsAction, OutboxAdminStore, OutboxFilter } from '../../../domain/ports/outbox-admin-store';
import type { Database } from '../create-database';
import { runStatement } from '../transaction';
import { readOutboxCounts } from './outbox-counts.query';
import { guard } from './sql-guards';
import { OUTBOX_RECORD_COLUMNS, toOutboxRecord, type OutboxRecordRow } from '../tables/outbox-messages.table';

type Row = Record<string, unknown>;

/** WHERE fragments for a filter; every value is a bound parameter. */
const where = (filter: OutboxFilter) => {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    clauses.push(clause);
    params.push(value);
  };
  if (filter.status) add('status = ?', filter.status);
  if (filter.conversationId) add('aggregate_id = ?', filter.conversationId);
  if (filter.eventType) add('event_type = ?', filter.eventType);
  if (filter.createdAfter) add('created_at >= ?', filter.createdAfter);
  if (filter.createdBefore) add('created_at < ?', filter.createdBefore);
  return { sql: clauses.length ? clauses.join(' AND ') : '1 = 1', params };
};

const REPLAY_SET = `next_attempt_at = ?, attempts = 0, dead_at = NULL, replayed_by = ?, replayed_at = ?, replay_reason = ?`;

export const createMikroOutboxAdminStore = (database: Database): OutboxAdminStore => {
  const query = (sql: string, params: unknown[]) => database.fork().execute(sql, params) as Promise<Row[]>;
  const records = (sql: string, params: unknown[]) => database.fork().execute<OutboxRecordRow[]>(sql, params);
  return {
    async list({ filter, first, after }) {
      const w = where(filter);
      const cursor = after ? ' AND id < ?' : '';
      const rows = await records(
        `SELECT ${OUTBOX_RECORD_COLUMNS} FROM outbox_messages WHERE ${w.sql}${cursor} ORDER BY id DESC LIMIT ?`,
        [...w.params, ...(after ? [after] : []), first + 1],
      );
      return { items: rows.slice(0, first).map(toOutboxRecord), hasNextPage: rows.length > first };
    },
    async get(id) {
      const [row] = await records(`SELECT ${OUTBOX_RECORD_COLUMNS} FROM outbox_messages WHERE id = ?`, [id]);
      return row ? toOutboxRecord(row) : null;
    },
    async stats(now) {
      const [{ rows: counts, oldestPendingAt: oldestAt }, lags] = await Promise.all([
        readOutboxCounts(query),
        query(
          'SELECT TIMESTAMPDIFF(MICROSECOND, created_at, published_at) / 1e6 AS lag FROM outbox_messages WHERE published_at >= ? ORDER BY lag LIMIT 100000',
          [new Date(now.getTime() - 300_000)],
        ),
      ]);
      return {
        counts,
        oldestPendingAgeSeconds: oldestAt ? Math.max(0, (now.getTime() - oldestAt.getTime()) / 1000) : null,
        publishLagSecondsP50: lags.length ? Number(lags[Math.floor((lags.length - 1) / 2)]?.['lag']) : null,
        publishLagSecondsMax: lags.length ? Number(lags[lags.length - 1]?.['lag']) : null,
      };
    },
    async replay(id, action: OpsAction) {
      const g = guard('REPLAY');
      return (
        (await runStatement(
          database,
          `UPDATE outbox_messages SET ${g.set}, ${REPLAY_SET} WHERE id = ? AND ${g.where}`,
          [action.now, action.actor, action.now, action.reason, id],
        )) === 1
      );
    },
    async replayMany(filter, limit, action) {
      const g = guard('REPLAY');
      const w = where({ ...filter, status: undefined });
      return runStatement(
        database,
        `UPDATE outbox_messages SET ${g.set}, ${REPLAY_SET} WHERE ${g.where} AND ${w.sql} ORDER BY id LIMIT ?`,
        [action.now, action.actor, action.now, action.reason, ...w.params, limit],
      );
    },
    async discard(id, action) {
      const g = guard('DISCARD');
      return (
        (await runStatement(
          database,
          `UPDATE outbox_messages SET ${g.set}, discarded_by = ?, discarded_at = ?, discard_reason = ? WHERE id = ? AND ${g.where}`,
          [action.actor, action.now, action.reason, id],
        )) === 1
      );
    },
  };
};
