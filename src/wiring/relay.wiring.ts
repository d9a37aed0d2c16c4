import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createPublishingGate } from '../application/publishing-gate';
import { createRelayBatch } from '../application/relay-batch.use-case';
import { createPurge, createPurgeConsumed, createSweepOutbox } from '../application/sweep-outbox.use-case';
import type { AppConfig } from '../config';
import { systemClock } from '../domain/ports/clock';
import type { Database } from '../infra/db/create-database';
import { createMikroChatTurns } from '../infra/db/repositories/mikro-chat-turns.queries';
import { createSqlOutboxRelayStore } from '../infra/db/repositories/sql-outbox-relay.store';
import type { KafkaClient } from '../infra/kafka/create-kafka';
import { createKafkaLogProgress } from '../infra/kafka/kafka-log-progress';
import { createKafkaPublisher } from '../infra/kafka/kafka-publisher';
import { logPublishingChanges } from '../infra/kafka/publishing-log';
import type { Component } from '../infra/lifecycle';
import type { Logger } from '../infra/logger';
import { measuredPublisher, publishingGauges, type RelayMetrics } from '../infra/metrics/relay-metrics';
import { createRedisPublishingStatus } from '../infra/redis/redis-publishing-status';
import { createRedisRelayWakeListener } from '../infra/redis/redis-relay-wake';
import type { RedisClients } from '../infra/redis/create-redis';
import { traceRelayRound, tracePublisher, traceRelayStore } from '../infra/tracing/outbox-spans';
import { NOOP_APP_TRACER, type AppTracer } from '../infra/tracing/otel-tracer';
import { createRelayWorker } from '../jobs/relay.worker';

/**
 * The relay's publishing state, told to the log (one line per change), the gauges and Redis
 * (so ops see it from any process). Probes back off from the row backoff's base to their own cap.
 */
const publishingGate = (
  config: AppConfig,
  deps: { redis: RedisClients; logger: Logger; metrics?: RelayMetrics; owner: string },
) => {
  const { relay } = config;
  // Shared with ops (outboxStats) until well after the next probe would have refreshed it.
  const shared = createRedisPublishingStatus({
    client: deps.redis.client(),
    prefix: config.redis.prefix,
    owner: deps.owner,
    ttlMs: Math.max(60_000, 3 * relay.blockedProbeCapMs),
    logger: deps.logger,
  });
  const observers = [
    logPublishingChanges(deps.logger),
    shared.observe,
    ...(deps.metrics ? [publishingGauges(deps.metrics)] : []),
  ];
  return createPublishingGate({
    clock: systemClock,
    policy: { baseMs: relay.backoffBaseMs, capMs: relay.blockedProbeCapMs },
    observe: (change) => observers.forEach((observe) => observe(change)),
  });
};

/** The relay role: claim → publish → ack, plus the sweeper and retention, as components in start order. */
export const relayComponents = (
  config: AppConfig,
  deps: {
    database: Database;
    redis: RedisClients;
    kafka: KafkaClient;
    logger: Logger;
    metrics?: RelayMetrics;
    tracer?: AppTracer;
  },
): Component[] => {
  const tracer = deps.tracer ?? NOOP_APP_TRACER;
  const store = createSqlOutboxRelayStore(deps.database);
  const publisher = createKafkaPublisher({ kafka: deps.kafka, logger: deps.logger });
  const { relay } = config;
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const gate = publishingGate(config, { ...deps, owner });
  const retention = { clock: systemClock, batchSize: relay.retentionBatch, maxBatches: 100 };
  const purgeConsumed = createPurgeConsumed({ ...retention, store, retentionMs: relay.retentionMs });
  // Replied turns keep a client's idempotency key answerable for CHAT_TURN_RETENTION_MS; awaited ones are never deleted.
  const turns = createMikroChatTurns(deps.database);
  const purgeTurns = createPurge({
    ...retention,
    retentionMs: relay.turnRetentionMs,
    deleteBatch: (createdBefore, limit) => turns.deleteReplied({ createdBefore, limit }),
  });
  const worker = createRelayWorker({
    connection: deps.redis.workerConnection(),
    prefix: config.redis.prefix,
    wakeups: createRedisRelayWakeListener({
      connection: deps.redis.workerConnection(),
      prefix: config.redis.prefix,
      logger: deps.logger,
      lingerMs: relay.wakeLingerMs,
    }),
    config: relay,
    logger: deps.logger,
    metrics: deps.metrics,
    gate,
    relayBatch: traceRelayRound(
      tracer,
      createRelayBatch({
        store: traceRelayStore(tracer, store),
        // The timed (and traced) view goes to the use case; the component list keeps the producer itself.
        publisher: tracePublisher(tracer, deps.metrics ? measuredPublisher(deps.metrics, publisher) : publisher),
        clock: systemClock,
        policy: { baseMs: relay.backoffBaseMs, capMs: relay.backoffCapMs },
        gate,
        owner,
        batchSize: relay.batchSize,
        leaseMs: relay.leaseMs,
      }),
    ),
    hasDue: () => store.hasDue(systemClock.now()),
    sweep: createSweepOutbox({
      store,
      progress: createKafkaLogProgress({ kafka: deps.kafka, groupId: config.kafka.groupId }),
      clock: systemClock,
      sweepAfterMs: relay.sweepAfterMs,
      limit: relay.batchSize,
    }),
    purge: async () => {
      const outbox = await purgeConsumed();
      const turns = await purgeTurns();
      return { deleted: outbox.deleted, turnsDeleted: turns.deleted };
    },
  });
  return [publisher, worker];
};
