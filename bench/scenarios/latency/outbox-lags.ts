import { stampSql } from '../../../src/tooling';
import type { SqlRunner } from '../../lib/sql';
import { rounded, summarize } from '../../lib/stats';

interface LagRow {
  event_id: string;
  created: string | number;
  /** null: the consumer completed the row before its relay's mark (never stamped PUBLISHED). */
  published: string | number | null;
  consumed: string | number;
}

/** Epoch ms of a DATETIME(3) column holding UTC (the app writes UTC), whatever the session time zone. */
const epochMs = (column: string) => `TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', ${column}) / 1000`;

/**
 * commit→published and commit→consumed for the rows of one measured window, from the rows'
 * own DATETIME(3) columns (ms resolution): created_at is the writer's clock when its append
 * began, consumed_at the consumer's when its batch transaction began. `returnedAt` (event id →
 * epoch ms when the append call returned, i.e. after commit and wake-up) gives the same lags
 * from the moment the writer was done, which leaves out time queued in the writer itself.
 */
export const outboxLags = async (
  sql: SqlRunner,
  window: { from: Date; until: Date },
  returnedAt: ReadonlyMap<string, number>,
) => {
  const rows = await sql.query<LagRow>(
    `SELECT event_id, ${epochMs('created_at')} AS created, ${epochMs(stampSql('published_at'))} AS published, ${epochMs('consumed_at')} AS consumed
     FROM outbox_messages WHERE status = 'CONSUMED' AND created_at >= ? AND created_at < ?`,
    [window.from, window.until],
  );
  const afterReturn = rows.flatMap((r) => {
    const returned = returnedAt.get(r.event_id);
    return returned === undefined ? [] : [Number(r.consumed) - returned];
  });
  return {
    rows: rows.length,
    published: rounded(
      summarize(rows.flatMap((r) => (r.published === null ? [] : [Number(r.published) - Number(r.created)]))),
    ),
    consumed: rounded(summarize(rows.map((r) => Number(r.consumed) - Number(r.created)))),
    returnedToConsumed: rounded(summarize(afterReturn)),
  };
};
