import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { GraphQLSchema } from 'graphql';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { AppConfig } from '../config';
import type { TokenVerifier } from '../domain/ports/token-verifier';
import type { GraphQLContext } from '../resolvers/context';
import { toGraphQLError } from './errors/to-graphql-error';
import { createStatusTracker, type Component } from '../infra/lifecycle';
import type { Logger } from '../infra/logger';
import { apolloMetricsPlugin } from './metrics/apollo-metrics.plugin';
import { serveMetrics } from './metrics-server';
import type { GraphqlMetrics } from './metrics/graphql-metrics';
import { createWsMetrics } from './metrics/ws-metrics';
import { createHttpContext } from './http-context';
import { withPageLinks } from './web/sandbox-page-links';
import { mountWebPages, type WebPagesOptions } from './web/web-pages';
import { withoutSuggestions } from './limits/hide-suggestions';
import { createInFlightBudget } from './limits/in-flight-budget';
import { jsonErrorHandler } from './limits/json-error-handler';
import { queryCostPlugin, queryLimitsRules } from './limits/query-limits';
import { cachedReadiness } from './cached-readiness';
import { tracingPlugin } from './graphql-spans';
import type { AppTracer } from '../infra/tracing/otel-tracer';
import { createWsServer } from './ws-server';

export interface ReadinessReport {
  ready: boolean;
  /** `degraded`: up and serving, but its job is blocked (the reason is in `degraded`). */
  checks: Record<string, 'ok' | 'failed' | 'degraded'>;
  /** Reason per degraded component. */
  degraded: Record<string, string>;
}

export interface HttpServerDeps {
  config: AppConfig['http'];
  schema: GraphQLSchema;
  verifier: TokenVerifier;
  logger: Logger;
  readiness: () => Promise<ReadinessReport>;
  /** Times GraphQL operations on HTTP and WebSocket, and serves GET /metrics (no token) when `config.metricsOnHttpPort`. */
  metrics?: { registry: Registry; graphql: GraphqlMetrics };
  /** The chat page, GraphiQL and the development token endpoint (src/server/web). */
  web?: WebPagesOptions;
  /** Spans for GraphQL operations on HTTP and WebSocket (the no-op tracer when tracing is off). */
  tracer?: AppTracer;
}

export interface HttpServer extends Component {
  /** The bound address once started (port 0 picks a free port, as tests do). */
  url(): string;
}

/** Apollo Server on express 5 plus graphql-ws, sharing one port and the path /graphql. */
export const createHttpServer = (deps: HttpServerDeps): HttpServer => {
  const { config, schema, logger } = deps;
  const status = createStatusTracker('http', logger);
  const app = express();
  const httpServer: Server = createServer(app);
  const { metrics } = deps;
  const inFlight = createInFlightBudget(config.maxResponseBytes);
  const ws = createWsServer({
    httpServer,
    schema,
    verifier: deps.verifier,
    logger,
    limits: config,
    inFlight,
    metrics: metrics && createWsMetrics(metrics.graphql),
    tracer: deps.tracer,
  });
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: config.sandbox,
    // Apollo's own switch for "did you mean" in validation errors; graphql-ws gets graphql-js's hideSuggestions.
    hideSchemaDetailsFromClientErrors: !config.sandbox,
    // graphql-js counts tokens as it parses and stops past the limit, before validation runs.
    parseOptions: { maxTokens: config.maxTokens },
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT. Apollo's own handler (on outside NODE_ENV=test) races it, and a
    // stop() called while Apollo's is in progress never returns (Apollo 5.5.1 resolves the stop
    // barrier only on failure), which held every production shutdown to SHUTDOWN_TIMEOUT_MS.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) =>
      config.sandbox
        ? toGraphQLError(formatted, error, logger)
        : withoutSuggestions(toGraphQLError(formatted, error, logger)),
    validationRules: queryLimitsRules(config),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      queryCostPlugin<GraphQLContext>(config, inFlight),
      ...(metrics ? [apolloMetricsPlugin<GraphQLContext>(metrics.graphql)] : []),
      ...(deps.tracer?.enabled ? [tracingPlugin<GraphQLContext>()] : []),
      {
        serverWillStart: async () => ({
          drainServer: async () => {
            await ws.dispose();
          },
        }),
      },
      config.sandbox
        ? withPageLinks(
            ApolloServerPluginLandingPageLocalDefault({ embed: { endpointIsEditable: false }, includeCookies: false }),
            Boolean(deps.web?.pages),
          )
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });

  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'alive' });
  });
  if (metrics && config.metricsOnHttpPort)
    app.get('/metrics', (_req, res) => serveMetrics(metrics.registry, logger, res));
  const readiness = cachedReadiness(deps.readiness, config.readyzCacheMs);
  app.get('/readyz', async (_req, res) => {
    const report = await readiness();
    const degraded = Object.keys(report.degraded).length > 0;
    const status = !report.ready ? 'not ready' : degraded ? 'degraded' : 'ready';
    res
      .status(report.ready ? 200 : 503)
      .json({ status, checks: report.checks, ...(degraded ? { degraded: report.degraded } : {}) });
  });
  if (deps.web) mountWebPages(app, { ...deps.web, logger });

  return {
    name: 'http',
    async start() {
      status.set('starting');
      await apollo.start();
      app.use(
        '/graphql',
        express.json({ limit: config.bodyLimitBytes }),
        expressMiddleware(apollo, { context: createHttpContext(deps.verifier, logger, config, deps.tracer) }),
      );
      app.use(jsonErrorHandler(logger));
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      status.set('ready');
      const site = this.url().replace(/graphql$/, '');
      logger.info(
        { url: this.url() },
        deps.web?.pages
          ? `Chat page at ${site} (GraphiQL at ${site}graphiql, Apollo Sandbox at ${this.url()})`
          : config.sandbox
            ? `GraphQL and Apollo Sandbox at ${this.url()}`
            : `GraphQL at ${this.url()}`,
      );
    },
    async stop() {
      // Apollo's drain plugin stops accepting, lets in-flight requests finish, and
      // disposes graphql-ws (closing sockets with 1001) through drainServer.
      await apollo.stop();
      status.set('stopped');
    },
    async ready() {
      return status.get() === 'ready';
    },
    url() {
      const address = httpServer.address() as AddressInfo | null;
      const host =
        !address || address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
      return `http://${host}:${address?.port ?? config.port}/graphql`;
    },
  };
};
