import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../domain/ports/logger';
import { readOutboxCounts, type SqlQuery } from '../db/repositories/outbox-counts.query';

export interface OutboxSnapshot {
  readonly rows: Readonly<Record<string, number>>;
  /** Seconds since the oldest PENDING row was written; 0 when nothing is pending. */
  readonly oldestPendingAgeSeconds: number;
}

export type { SqlQuery };

// Every known status is reported, 0 included, so a series never vanishes when its rows do.
const readOutboxSnapshot = async (query: SqlQuery, now: number): Promise<OutboxSnapshot> => {
  const { rows, oldestPendingAt } = await readOutboxCounts(query);
  return { rows, oldestPendingAgeSeconds: oldestPendingAt ? Math.max(0, (now - oldestPendingAt.getTime()) / 1000) : 0 };
};

/**
 * One snapshot shared by both gauges and reused for `ttlMs`, so several scrapers (or both
 * gauges of one scrape) cost one pair of queries. A failed refresh keeps the last values:
 * /metrics must keep answering while the database is down, and the logged warning (plus
 * /readyz) says why the numbers stopped moving.
 */
export const createOutboxSnapshotCache = (deps: {
  query: SqlQuery;
  logger: Logger;
  ttlMs?: number;
  now?: () => number;
}) => {
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
