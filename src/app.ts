import { makeExecutableSchema } from '@graphql-tools/schema';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { AppendChatMessages } from './application/append-chat-messages.use-case';
import { mergeConcurrentWrites } from './application/merge-history-writes';
import { createPersistHistoryBatch } from './application/persist-history-batch.use-case';
import { systemClock } from './domain/ports/clock';
import type { AppConfig } from './config';
import { redactConfig } from './config';
import { createJwtVerifier } from './infra/auth/jwt';
import { createDatabase } from './infra/db/create-database';
import { createSqlHistoryStore } from './infra/db/repositories/sql-history.store';
import { createHttpServer, type HttpServer, type ReadinessReport } from './server/create-http-server';
import { createKafka } from './infra/kafka/create-kafka';
import { createHistoryConsumer } from './infra/kafka/history.consumer';
import { withTimeout, type Component } from './infra/lifecycle';
import { createLogger, type Logger } from './infra/logger';
import { createMetrics, type AppMetrics } from './wiring/metrics.wiring';
import { createMetricsServer } from './server/metrics-server';
import { createRedis } from './infra/redis/create-redis';
import { createTracing } from './infra/tracing/create-tracing';
import { createResolvers } from './resolvers';
import { createRedisRelayWaker } from './infra/redis/redis-relay-wake';
import { loadTypeDefs } from './schema/type-defs';
import { chatWiring } from './wiring/chat.wiring';
import { chatAdapters, generateComponents } from './wiring/generate.wiring';
import { createOutboxWriter } from './wiring/writer.wiring';
import { relayComponents } from './wiring/relay.wiring';
import { webPagesOptions } from './wiring/web-pages.wiring';

export interface App {
  start(): Promise<void>;
  stop(): Promise<void>;
  readiness(): Promise<ReadinessReport>;
  /** The GraphQL URL when the api role runs. */
  url(): string | undefined;
  /** Use cases, for in-process drivers (benchmarks, chaos traffic, tests). */
  readonly useCases: { appendChatMessages: AppendChatMessages };
  /** This app's metrics registry (served on /metrics: on HTTP_PORT when METRICS_ON_HTTP_PORT, else on METRICS_PORT). */
  readonly metrics: AppMetrics;
  /** The metrics-only listener's URL, when it runs (no api role, or /metrics kept off the public port). */
  metricsUrl(): string | undefined;
}

/**
 * Wires adapters → use cases → servers and workers for the enabled roles. Nothing
 * connects until start(); end-to-end tests boot exactly this.
 */
export const buildApp = (
  config: AppConfig,
  options: {
    logger?: Logger;
    spanExporter?: SpanExporter;
    /** Called each time the dependencies are really checked, which /readyz's cache spares them; for tests. */
    onReadinessCheck?: () => void;
  } = {},
): App => {
  const logger = options.logger ?? createLogger(config.log);
  // Off (no OTLP endpoint): the no-op tracer, and no provider or exporter exists. `spanExporter` is for tests.
  const tracing = createTracing(config.tracing, { logger, exporter: options.spanExporter });
  const { tracer } = tracing;
  const database = createDatabase(config.db, logger);
  const redis = createRedis(config.redis, logger);
  const kafka = createKafka(config.kafka, logger);
  const dependencies: Component[] = [database, redis, kafka];
  const metrics = createMetrics({ database, logger });
  const waker = createRedisRelayWaker({ connection: redis.workerConnection(), prefix: config.redis.prefix, logger });
  const appendChatMessages = createOutboxWriter(config, {
    database,
    waker,
    logger,
    tracer,
    onWakeFailed: () => metrics.chat.sendSideEffectFailures.inc({ step: 'relay-wake-up' }),
  });
  const roleComponents: Component[] = [waker];
  if (config.roles.includes('relay'))
    roleComponents.push(...relayComponents(config, { database, redis, kafka, logger, metrics: metrics.relay, tracer }));
  if (config.roles.includes('consumer')) {
    const persist = createPersistHistoryBatch({
      store: mergeConcurrentWrites(createSqlHistoryStore(database)),
      clock: systemClock,
      logger,
    });
    roleComponents.push(
      createHistoryConsumer({
        kafka,
        config: { kafka: config.kafka, consumer: config.consumer },
        persist,
        logger,
        metrics: metrics.consumer,
        tracer,
      }),
    );
  }

  const readiness = async (): Promise<ReadinessReport> => {
    options.onReadinessCheck?.();
    const results = await Promise.all(
      [...dependencies, ...roleComponents].map(async (c) => ({
        name: c.name,
        ok: await c.ready(),
        degraded: c.degraded?.(),
      })),
    );
    return {
      ready: results.every((r) => r.ok),
      checks: Object.fromEntries(results.map((r) => [r.name, !r.ok ? 'failed' : r.degraded ? 'degraded' : 'ok'])),
      // A degraded component stays ready: the api still takes messages (they wait in the outbox), and the reason is in the report.
      degraded: Object.fromEntries(results.flatMap((r) => (r.degraded ? [[r.name, r.degraded]] : []))),
    };
  };

  let http: HttpServer | undefined;
  const api = config.roles.includes('api');
  // The api role generates replies too, unless GENERATE_IN_API leaves that to `generator` processes.
  const generates = (api && config.generate.inApi) || config.roles.includes('generator');
  if (api || generates) {
    const adapters = chatAdapters(config, { database, redis, logger });
    roleComponents.push(adapters.queue);
    if (api) {
      const chat = chatWiring(config, {
        database,
        redis,
        append: appendChatMessages,
        waker,
        logger,
        metrics: metrics.chat,
        adapters,
      });
      roleComponents.push(...chat.components);
      const schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: createResolvers(chat.resolverDeps) });
      http = createHttpServer({
        config: config.http,
        schema,
        verifier: createJwtVerifier(config.auth),
        logger,
        readiness,
        metrics,
        web: webPagesOptions(config),
        tracer,
      });
    }
    // Started last, stopped first after HTTP: running replies finish (or are cut) while the queue and Redis are up.
    if (generates)
      roleComponents.push(
        ...generateComponents(config, {
          adapters,
          append: appendChatMessages,
          redis,
          logger,
          metrics: metrics.chat,
          tracer,
        }),
      );
  }
  // Without the api role there is no HTTP server to host /metrics, so a bare listener does; in
  // production it does anyway, so that /metrics stays off the public port (METRICS_ON_HTTP_PORT).
  const metricsServer =
    http && config.http.metricsOnHttpPort
      ? undefined
      : createMetricsServer({ registry: metrics.registry, ...config.metrics, logger });
  // Start order is dependency order; stop runs it backwards.
  // Tracing (when on) first, so it stops last and flushes the spans of everything stopping before it.
  const components: Component[] = [
    ...(tracer.enabled ? [tracing] : []),
    ...dependencies,
    ...roleComponents,
    ...(http ? [http] : []),
    ...(metricsServer ? [metricsServer] : []),
  ];
  const started: Component[] = [];

  const stop = async () => {
    const deadline = Date.now() + config.shutdownTimeoutMs;
    for (const component of [...started].reverse()) {
      const left = Math.max(deadline - Date.now(), 100);
      try {
        await withTimeout(`stopping ${component.name}`, left, component.stop());
        logger.info({ component: component.name }, `stopped ${component.name}`);
      } catch (error) {
        logger.error({ err: error, component: component.name }, `failed to stop ${component.name}`);
      }
    }
    started.length = 0;
  };

  return {
    async start() {
      logger.info({ config: redactConfig(config) }, `starting agent-relay (roles: ${config.roles.join(', ')})`);
      if (config.auth.usingDevSecret)
        logger.warn('JWT_SECRET is not set: using the development secret; never do this in production');
      try {
        for (const component of components) {
          await component.start();
          started.push(component);
        }
      } catch (error) {
        await stop();
        throw error;
      }
    },
    stop,
    readiness,
    url: () => http?.url(),
    useCases: { appendChatMessages },
    metrics,
    metricsUrl: () => metricsServer?.url(),
  };
};
