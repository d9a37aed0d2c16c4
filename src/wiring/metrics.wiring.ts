import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from '../domain/ports/logger';
import type { Database } from '../infra/db/create-database';
import { createChatMetrics, type ChatMetrics } from '../infra/metrics/chat-metrics';
import { createConsumerMetrics, type ConsumerMetrics } from '../infra/metrics/consumer-metrics';
import { createGraphqlMetrics, type GraphqlMetrics } from '../server/metrics/graphql-metrics';
import { createOutboxSnapshotCache, registerOutboxGauges, type SqlQuery } from '../infra/metrics/outbox-gauges';
import { createRelayMetrics, type RelayMetrics } from '../infra/metrics/relay-metrics';

export interface AppMetrics {
  /** This app's own registry: never prom-client's global one, so apps in one process don't collide. */
  readonly registry: Registry;
  readonly relay: RelayMetrics;
  readonly consumer: ConsumerMetrics;
  readonly graphql: GraphqlMetrics;
  readonly chat: ChatMetrics;
}

/**
 * Every agent_relay_* series plus Node's default process metrics, on a fresh registry.
 * Every series is registered whatever the roles, so dashboards and alerts see zeros
 * rather than gaps; the outbox gauges read the database only when scraped.
 */
export const createMetrics = (deps: { database: Pick<Database, 'fork'>; logger: Logger }): AppMetrics => {
  const registry = new Registry();
  // prom-client samples event-loop delay with a libuv timer at this resolution; its 10 ms default
  // woke an idle process 100 times a second, most of what an idle API process cost (measured in
  // bench/README.md, "Idle"). Lags worth alerting on are far longer than 100 ms anyway.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  const query: SqlQuery = (sql, params) => deps.database.fork().execute<Record<string, unknown>[]>(sql, params);
  registerOutboxGauges(registry, createOutboxSnapshotCache({ query, logger: deps.logger }));
  return {
    registry,
    relay: createRelayMetrics(registry),
    consumer: createConsumerMetrics(registry),
    graphql: createGraphqlMetrics(registry),
    chat: createChatMetrics(registry),
  };
};
