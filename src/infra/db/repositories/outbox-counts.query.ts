import { OUTBOX_STATUSES, type OutboxStatus } from '../../../domain/outbox-status';

/** Runs one read-only SQL statement; `database.fork().execute` satisfies it. */
export type SqlQuery = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

// Both read the (status, …) indexes, never table rows; the count still scans every retained row's entry.
const COUNT_BY_STATUS = 'SELECT status, COUNT(*) AS n FROM outbox_messages GROUP BY status';
const OLDEST_PENDING = "SELECT MIN(created_at) AS oldest FROM outbox_messages WHERE status = 'PENDING'";

/** Rows per status (every known status, 0 included) and when the oldest PENDING row was written; for the gauges and ops stats. */
export const readOutboxCounts = async (
  query: SqlQuery,
): Promise<{ rows: Record<OutboxStatus, number>; oldestPendingAt: Date | null }> => {
  const [counts, oldest] = await Promise.all([query(COUNT_BY_STATUS, []), query(OLDEST_PENDING, [])]);
  const rows = Object.fromEntries(OUTBOX_STATUSES.map((status) => [status, 0])) as Record<OutboxStatus, number>;
  for (const row of counts) rows[String(row['status']) as OutboxStatus] = Number(row['n']);
  const at = oldest[0]?.['oldest'];
  return { rows, oldestPendingAt: at ? new Date(at as string | Date) : null };
};
