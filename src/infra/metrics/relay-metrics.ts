import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EventPublisher } from '../../domain/ports/event-publisher';
import type { PublishingChange } from '../../domain/ports/publishing-status';

/** What the relay reports per claim round; structurally the use case's RelayBatchSummary. */
export interface RelayRoundSummary {
  readonly claimed: number;
  readonly published: number;
  readonly retried: number;
  readonly dead: number;
  readonly unsent: number;
  readonly stale: number;
}

/** What a sweep re-published; structurally the use case's SweepSummary. */
export interface SweepCounts {
  readonly unrecorded: number;
  readonly lost: number;
}

export const createRelayMetrics = (registry: Registry) => {
  const registers = [registry];
  return {
    batchRows: new Histogram({
      name: 'agent_relay_relay_batch_rows',
      help: 'Rows per claimed relay batch (empty claims are not observed).',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
    publishSeconds: new Histogram({
      name: 'agent_relay_relay_publish_seconds',
      help: 'Kafka send duration per relay batch, isolation retries included.',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    claims: new Counter({
      name: 'agent_relay_relay_claims_total',
      help: 'Claim rounds run by the relay, empty ones included.',
      registers,
    }),
    published: new Counter({
      name: 'agent_relay_relay_published_total',
      help: 'Outbox rows the relay published and marked PUBLISHED.',
      registers,
    }),
    retries: new Counter({
      name: 'agent_relay_relay_retries_total',
      help: 'Outbox rows whose publish failed and were scheduled for another attempt.',
      registers,
    }),
    dead: new Counter({
      name: 'agent_relay_relay_dead_total',
      help: 'Outbox rows the relay gave up on (DEAD).',
      registers,
    }),
    stale: new Counter({
      name: 'agent_relay_relay_stale_total',
      help: 'Claimed rows the relay could not record: its lease was taken over, or the consumer had already completed them.',
      registers,
    }),
    unsent: new Counter({
      name: 'agent_relay_relay_unsent_total',
      help: 'Claimed rows given back untouched (no attempt counted) because the broker was unavailable.',
      registers,
    }),
    blocked: new Gauge({
      name: 'agent_relay_relay_publishing_blocked',
      help: '1 while this relay cannot publish because the broker is unavailable or refuses it, else 0.',
      registers,
    }),
    blockedSince: new Gauge({
      name: 'agent_relay_relay_publishing_blocked_since_seconds',
      help: 'Unix time this relay became blocked; 0 while publishing flows.',
      registers,
    }),
    republished: new Counter({
      name: 'agent_relay_relay_republished_total',
      help: 'PUBLISHED rows the sweeper sent again: reason=lost (log position passed by the group, deleted or truncated), unrecorded (no log position, by age).',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
};

export type RelayMetrics = ReturnType<typeof createRelayMetrics>;

/** Counts one claim round; wraps the relay's relayBatch() so the use case stays metric-free. */
export const measureRelayRound =
  <S extends RelayRoundSummary>(metrics: RelayMetrics, relayBatch: () => Promise<S>) =>
  async (): Promise<S> => {
    const summary = await relayBatch();
    metrics.claims.inc();
    if (summary.claimed > 0) metrics.batchRows.observe(summary.claimed);
    if (summary.published > 0) metrics.published.inc(summary.published);
    if (summary.retried > 0) metrics.retries.inc(summary.retried);
    if (summary.dead > 0) metrics.dead.inc(summary.dead);
    if (summary.stale > 0) metrics.stale.inc(summary.stale);
    if (summary.unsent > 0) metrics.unsent.inc(summary.unsent);
    return summary;
  };

/** Counts a sweep's re-publishes by reason. */
export const measureSweep =
  <S extends SweepCounts>(metrics: RelayMetrics, sweep: () => Promise<S>) =>
  async (): Promise<S> => {
    const summary = await sweep();
    if (summary.lost > 0) metrics.republished.inc({ reason: 'lost' }, summary.lost);
    if (summary.unrecorded > 0) metrics.republished.inc({ reason: 'unrecorded' }, summary.unrecorded);
    return summary;
  };

/** The publishing gauges follow the relay's state changes. */
export const publishingGauges = (metrics: RelayMetrics) => (change: PublishingChange) => {
  const blocked = change.kind !== 'resumed';
  metrics.blocked.set(blocked ? 1 : 0);
  metrics.blockedSince.set(change.kind === 'resumed' ? 0 : change.state.since.getTime() / 1000);
};

/** The publisher as the relay sees it, timed per batch (failed sends too: slow failures matter most). */
export const measuredPublisher = (metrics: RelayMetrics, publisher: EventPublisher): EventPublisher => ({
  async publish(messages) {
    const end = metrics.publishSeconds.startTimer();
    try {
      return await publisher.publish(messages);
    } finally {
      end();
    }
  },
});
