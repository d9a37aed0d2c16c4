import { OUTBOX_STATUSES, type OutboxStatus } from '../../../domain/outbox-status';
import { fromDatetime } from '../tables/datetime';

/** Runs one read-only SQL statement; `database.fork().execute` satisfies it. */
export type SqlQuery = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

// The count reads the (status, id) index, never table rows, though it scans every retained row's entry.
// The oldest PENDING row is the first one in id order (ids follow commit order): one index entry and one row.
const COUNT_BY_STATUS = 'SELECT status, COUNT(*) AS n FROM outbox_messages GROUP BY status';
const OLDEST_PENDING = "SELECT created_at AS oldest FROM outbox_messages WHERE status = 'PENDING' ORDER BY id LIMIT 1";

/** Rows per status (every known status, 0 included) and when the oldest PENDING row was written; for the gauges and ops stats. */
export const readOutboxCounts = async (
  query: SqlQuery,
): Promise<{ rows: Record<OutboxStatus, number>; oldestPendingAt: Date | null }> => {
  const [counts, oldest] = await Promise.all([query(COUNT_BY_STATUS, []), query(OLDEST_PENDING, [])]);
  const rows = Object.fromEntries(OUTBOX_STATUSES.map((status) => [status, 0])) as Record<OutboxStatus, number>;
  for (const row of counts) rows[String(row['status']) as OutboxStatus] = Number(row['n']);
  const at = oldest[0]?.['oldest'];
  return { rows, oldestPendingAt: at ? fromDatetime(at as string | Date) : null };
};
