import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createPublishingGate } from '../application/publishing-gate';
import { createRelayBatch } from '../application/relay-batch.use-case';
import { createPurgeConsumed, createSweepOutbox } from '../application/sweep-outbox.use-case';
import type { AppConfig } from '../config';
import { systemClock } from '../domain/ports/clock';
import type { Database } from '../infra/db/create-database';
import { createMikroOutboxRelayStore } from '../infra/db/repositories/mikro-outbox-relay.store';
import type { KafkaClient } from '../infra/kafka/create-kafka';
import { createKafkaLogProgress } from '../infra/kafka/kafka-log-progress';
import { createKafkaPublisher } from '../infra/kafka/kafka-publisher';
import { logPublishingChanges } from '../infra/kafka/publishing-log';
import type { Component } from '../infra/lifecycle';
import type { Logger } from '../infra/logger';
import { measuredPublisher, publishingGauges, type RelayMetrics } from '../infra/metrics/relay-metrics';
import { createRedisPublishingStatus } from '../infra/redis/redis-publishing-status';
import type { RedisClients } from '../infra/redis/create-redis';
import { createRelayWorker } from '../jobs/relay.worker';

/**
 * The relay's publishing state, told to the log (one line per change), the gauges and Redis
 * (so ops see it from any process). Probes back off from the row backoff's base to their own cap.
 */
const publishingGate = (config: AppConfig, deps: { redis: RedisClients; logger: Logger; metrics?: RelayMetrics; owner: string }) => {
  const { relay } = config;
  // Shared with ops (outboxStats) until well after the next probe would have refreshed it.
  const shared = createRedisPublishingStatus({ client: deps.redis.client(), prefix: config.redis.prefix, owner: deps.owner, ttlMs: Math.max(60_000, 3 * relay.blockedProbeCapMs), logger: deps.logger });
  const observers = [logPublishingChanges(deps.logger), shared.observe, ...(deps.metrics ? [publishingGauges(deps.metrics)] : [])];
  return createPublishingGate({
    clock: systemClock,
    policy: { baseMs: relay.backoffBaseMs, capMs: relay.blockedProbeCapMs },
    observe: (change) => observers.forEach((observe) => observe(change)),
  });
};

/** The relay role: claim → publish → ack, plus the sweeper and retention, as components in start order. */
export const relayComponents = (config: AppConfig, deps: { database: Database; redis: RedisClients; kafka: KafkaClient; logger: Logger; metrics?: RelayMetrics }): Component[] => {
  const store = createMikroOutboxRelayStore(deps.database);
  const publisher = createKafkaPublisher({ kafka: deps.kafka, logger: deps.logger });
  const { relay } = config;
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const gate = publishingGate(config, { ...deps, owner });
  const worker = createRelayWorker({
    connection: deps.redis.workerConnection(),
    prefix: config.redis.prefix,
    config: relay,
    logger: deps.logger,
    metrics: deps.metrics,
    gate,
    relayBatch: createRelayBatch({
      store,
      // The timed view goes to the use case; the component list keeps the producer itself.
      publisher: deps.metrics ? measuredPublisher(deps.metrics, publisher) : publisher,
      clock: systemClock,
      policy: { baseMs: relay.backoffBaseMs, capMs: relay.backoffCapMs },
      gate,
      owner,
      batchSize: relay.batchSize,
      leaseMs: relay.leaseMs,
    }),
    hasDue: () => store.hasDue(systemClock.now()),
    sweep: createSweepOutbox({
      store,
      progress: createKafkaLogProgress({ kafka: deps.kafka, groupId: config.kafka.groupId }),
      clock: systemClock,
      sweepAfterMs: relay.sweepAfterMs,
      limit: relay.batchSize,
    }),
    purge: createPurgeConsumed({ store, clock: systemClock, retentionMs: relay.retentionMs, batchSize: relay.retentionBatch, maxBatches: 100 }),
  });
  return [publisher, worker];
};
