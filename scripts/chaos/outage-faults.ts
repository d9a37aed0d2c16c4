import { RELAY_LEASE_MS, SWEEP_AFTER_MS } from './env';
import {
  SERVICE_RETURN_BOUND_MS,
  type FaultDeps,
  type FaultRecord,
  type OutageTimings,
  type PublishedRow,
} from './fault-types';
import { chaosStack, restartOwnBroker, type Control } from './infra';
import { sleep } from './log';
import type { Proxy } from './proxies';
import type { Service } from './services';

export type { OutageTimings, PublishedRow } from './fault-types';

/**
 * Quick: 20 s / 10 s / sweep threshold + 6 s. Long: 6 minutes / 60 s / sweep threshold + 20 s.
 * Either way history must be whole within 60 s of the database's or Redis's return.
 */
export const outageTimings = (quick: boolean): OutageTimings =>
  quick
    ? {
        brokerOutageMs: 20_000,
        serviceOutageMs: 10_000,
        serviceReturnBoundMs: SERVICE_RETURN_BOUND_MS,
        stallMs: SWEEP_AFTER_MS + 6_000,
      }
    : {
        brokerOutageMs: 360_000,
        serviceOutageMs: 60_000,
        serviceReturnBoundMs: SERVICE_RETURN_BOUND_MS,
        stallMs: SWEEP_AFTER_MS + 20_000,
      };

const CATCH_UP_MAX_MS = 180_000;
/** Re-publishes the sweeper queued just before the catch-up still reach the topic within this. */
const COPY_SETTLE_MS = 2_000;
const MID_STREAM_WAIT_MS = 30_000;
/** Long enough for events the frozen process had already written to reach the subscriber. */
const FREEZE_CHECK_MS = 150;

const publishedRows = async (control: Control): Promise<PublishedRow[]> => {
  const seenAt = Date.now();
  const rows = await control.query<{ event_id: string }>(
    `SELECT event_id FROM ${control.t('outbox_messages')} WHERE status = 'PUBLISHED'`,
  );
  return rows.map((r) => ({ eventId: r.event_id, seenAt }));
};

/** Polls until no row created before `before` is PENDING or PUBLISHED (DEAD ones are the verdict's); when that happened, or null. */
const caughtUp = async (control: Control, before: number, signal: AbortSignal) => {
  const deadline = Date.now() + CATCH_UP_MAX_MS;
  while (Date.now() < deadline && !signal.aborted) {
    const [row] = await control.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${control.t('outbox_messages')} WHERE created_at < ? AND status IN ('PENDING', 'PUBLISHED')`,
      [new Date(before)],
    );
    if (Number(row?.n ?? 0) === 0) return Date.now();
    await sleep(250);
  }
  return null;
};

interface Helpers {
  /** Waits until no process is restarting from an earlier fault. */
  allSettled(): Promise<unknown>;
  killAndRestart(service: Service, record: FaultRecord): Promise<void>;
}

/**
 * The long faults. Each starts only when every process is up again, so its figures are its own:
 * no restart of an earlier fault overlaps it.
 */
export const createOutageActions = (deps: FaultDeps, helpers: Helpers) => {
  const { control, timings } = deps;

  /**
   * The next fault waits until the pipeline caught up with what the outage held back, so that
   * the outage's "history complete after the return" is its own figure, not the next fault's.
   */
  const awaitCatchUp = async (record: FaultRecord) => {
    const caughtUpAt = await caughtUp(control, record.endedAt, deps.signal);
    return caughtUpAt === null
      ? `; NOT caught up within ${CATCH_UP_MAX_MS / 1000} s`
      : `; caught up ${caughtUpAt - record.endedAt} ms after`;
  };

  const cutProxy = async (proxy: Proxy, name: string, record: FaultRecord) => {
    await helpers.allSettled();
    record.at = Date.now();
    proxy.cut();
    await sleep(timings.serviceOutageMs);
    proxy.restore();
    record.endedAt = Date.now();
    record.downMs = record.endedAt - record.at;
    record.detail = `${name} proxy cut (connections closed, new ones refused) for ${(record.downMs / 1000).toFixed(1)} s${await awaitCatchUp(record)}`;
  };

  return {
    async 'broker-outage'(record: FaultRecord) {
      await helpers.allSettled();
      const asked = Date.now();
      await chaosStack(deps.env, 'kafka:stop');
      record.at = Date.now();
      await sleep(timings.brokerOutageMs);
      const restart = Date.now();
      await restartOwnBroker(deps.env);
      record.endedAt = Date.now();
      record.downMs = record.endedAt - record.at;
      const schedule =
        Object.entries(deps.env.relaySchedule)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ') || 'the default relay schedule';
      record.detail = `broker stopped (${record.at - asked} ms to stop) for ${(timings.brokerOutageMs / 1000).toFixed(0)} s with ${schedule}, back after ${record.endedAt - restart} ms more${await awaitCatchUp(record)}`;
    },
    'db-outage': (record: FaultRecord) => cutProxy(deps.proxies.database, 'MariaDB', record),
    'redis-outage': (record: FaultRecord) => cutProxy(deps.proxies.redis, 'Redis', record),

    /**
     * SIGSTOP the consumer past the sweep threshold, then SIGCONT. Its records wait in Kafka
     * the whole time: none is lost, so the sweeper must re-publish none. A lease's worth of
     * quiet first, so re-publishes after an earlier relay kill fall outside the window.
     */
    async 'consumer-stall'(record: FaultRecord) {
      await helpers.allSettled();
      await sleep(RELAY_LEASE_MS + 1_000);
      const before = await publishedRows(control);
      record.at = Date.now();
      deps.consumer.freeze();
      await sleep(timings.stallMs);
      const during = await publishedRows(control);
      deps.consumer.thaw();
      const thawAt = Date.now();
      const caughtUpAt = await caughtUp(control, thawAt, deps.signal);
      if (caughtUpAt !== null) await sleep(COPY_SETTLE_MS);
      record.endedAt = Date.now();
      record.stall = {
        from: record.at,
        thawAt,
        caughtUpAt: caughtUpAt === null ? null : caughtUpAt + COPY_SETTLE_MS,
        published: [...before, ...during],
      };
      record.detail = `consumer SIGSTOPped ${(timings.stallMs / 1000).toFixed(0)} s (RELAY_SWEEP_AFTER_MS ${SWEEP_AFTER_MS / 1000} s), ${caughtUpAt === null ? 'did NOT catch up' : `caught up ${caughtUpAt - thawAt} ms after SIGCONT`}`;
    },

    /**
     * SIGKILL the process generating a reply while a subscriber sees it stream: the one whose
     * log said "generating reply" for it, else a generating one. The process is frozen first
     * (SIGSTOP) and killed only if, a moment later, the subscriber still has seen no end: a
     * reply's last tokens arrive milliseconds apart, and a kill that lands after the end
     * rehearses nothing. Otherwise it goes on (SIGCONT) and the next streaming reply is tried.
     */
    async 'reply-kill'(record: FaultRecord) {
      await helpers.allSettled();
      const deadline = Date.now() + MID_STREAM_WAIT_MS;
      let misses = 0;
      while (Date.now() < deadline && !deps.signal.aborted) {
        const watch = await deps.subscribers.waitForMidStream(deadline - Date.now(), deps.signal);
        if (!watch) break;
        const named = deps.generatorOf(watch.replyId);
        const victim = deps.generators.find((g) => g.name === named && g.alive());
        if (!victim) {
          misses += 1;
          await sleep(20);
          continue;
        }
        victim.freeze();
        await sleep(FREEZE_CHECK_MS);
        if (watch.end !== undefined) {
          victim.thaw();
          misses += 1;
          continue;
        }
        await helpers.killAndRestart(victim, record);
        record.midStream = true;
        record.detail = `${victim.name} SIGKILLed (frozen first) while reply ${watch.replyId} streamed: ${watch.tokens} token(s) seen by its subscriber, no end (${misses} near misses before)`;
        return;
      }
      const victim = deps.rng.pick(deps.generators);
      await helpers.killAndRestart(victim, record);
      record.midStream = false;
      record.detail = `no reply caught streaming within ${MID_STREAM_WAIT_MS / 1000} s (${misses} near misses); ${victim.name} SIGKILLed anyway`;
    },
  };
};
