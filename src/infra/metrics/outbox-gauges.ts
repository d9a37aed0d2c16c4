import { Gauge, type Registry } from 'prom-client';
import { OUTBOX_STATUSES } from '../../domain/outbox-status';
import type { Logger } from '../../domain/ports/logger';

export interface OutboxSnapshot {
  readonly rows: Readonly<Record<string, number>>;
  /** Seconds since the oldest PENDING row was written; 0 when nothing is pending. */
  readonly oldestPendingAgeSeconds: number;
}

/** Runs one read-only SQL statement; `database.fork().execute` satisfies it. */
export type SqlQuery = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

// Both read the (status, …) indexes, never table rows; the count still scans every retained row's entry.
const COUNT_BY_STATUS = 'SELECT status, COUNT(*) AS n FROM outbox_messages GROUP BY status';
const OLDEST_PENDING = "SELECT MIN(created_at) AS oldest FROM outbox_messages WHERE status = 'PENDING'";

export const readOutboxSnapshot = async (query: SqlQuery, now: number): Promise<OutboxSnapshot> => {
  const [counts, oldest] = await Promise.all([query(COUNT_BY_STATUS, []), query(OLDEST_PENDING, [])]);
  // Every known status is reported, 0 included, so a series never vanishes when its rows do.
  const rows: Record<string, number> = Object.fromEntries(OUTBOX_STATUSES.map((status) => [status, 0]));
  for (const row of counts) rows[String(row['status'])] = Number(row['n']);
  const at = oldest[0]?.['oldest'];
  const ageSeconds = at ? Math.max(0, (now - new Date(at as string | Date).getTime()) / 1000) : 0;
  return { rows, oldestPendingAgeSeconds: ageSeconds };
};

/**
 * One snapshot shared by both gauges and reused for `ttlMs`, so several scrapers (or both
 * gauges of one scrape) cost one pair of queries. A failed refresh keeps the last values:
 * /metrics must keep answering while the database is down, and the logged warning (plus
 * /readyz) says why the numbers stopped moving.
 */
export const createOutboxSnapshotCache = (deps: { query: SqlQuery; logger: Logger; ttlMs?: number; now?: () => number }) => {
  const ttlMs = deps.ttlMs ?? 1000;
  const now = deps.now ?? Date.now;
  let last: OutboxSnapshot | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<OutboxSnapshot | undefined> | undefined;
  const refresh = async () => {
    try {
      last = await readOutboxSnapshot(deps.query, now());
    } catch (error) {
      deps.logger.warn({ err: error }, 'outbox metrics query failed; keeping the last values');
    } finally {
      // Failures count as a refresh too: a database outage must not turn every scrape into a query.
      fetchedAt = now();
      inFlight = undefined;
    }
    return last;
  };
  return {
    get(): Promise<OutboxSnapshot | undefined> {
      if (now() - fetchedAt < ttlMs) return Promise.resolve(last);
      inFlight ??= refresh();
      return inFlight;
    },
  };
};

export type OutboxSnapshotCache = ReturnType<typeof createOutboxSnapshotCache>;

export const registerOutboxGauges = (registry: Registry, snapshots: OutboxSnapshotCache) => {
  new Gauge({
    name: 'agent_relay_outbox_rows',
    help: 'Outbox rows by status, read from the database at scrape time (cached 1 s).',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const snapshot = await snapshots.get();
      if (!snapshot) return;
      for (const [status, n] of Object.entries(snapshot.rows)) this.set({ status }, n);
    },
  });
  new Gauge({
    name: 'agent_relay_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest PENDING outbox row (0 when none): how far the relay is behind the writers.',
    registers: [registry],
    async collect() {
      const snapshot = await snapshots.get();
      if (snapshot) this.set(snapshot.oldestPendingAgeSeconds);
    },
  });
};
