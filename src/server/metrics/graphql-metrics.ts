import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { CLIENT_ERROR_CODES } from '../errors/to-graphql-error';

export type OperationType = 'query' | 'mutation' | 'subscription';

/**
 * Operation names come from clients, so each distinct one is a new series. Past this many
 * the rest are reported as "other": a client inventing names cannot exhaust Prometheus.
 */
const MAX_OPERATION_NAMES = 200;

/** Codes the error mapping can produce keep their name; anything else is folded into OTHER to bound the series. */
export const errorCodeLabel = (code: unknown): string =>
  typeof code === 'string' && CLIENT_ERROR_CODES.has(code) ? code : 'OTHER';

/** `[A-Za-z0-9_]`, at most 64 characters, "anonymous" when unnamed. */
export const operationLabel = (name: string | null | undefined): string => {
  const clean = (name ?? '').replace(/[^A-Za-z0-9_]/g, '').slice(0, 64);
  return clean === '' ? 'anonymous' : clean;
};

export const createGraphqlMetrics = (registry: Registry) => {
  const registers = [registry];
  const seen = new Set<string>();
  const operationSeconds = new Histogram({
    name: 'agent_relay_graphql_operation_seconds',
    help: 'GraphQL operation duration by type and operation name (HTTP and WebSocket); subscriptions: time to subscribe.',
    labelNames: ['type', 'operation'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const errors = new Counter({
    name: 'agent_relay_graphql_errors_total',
    help: 'GraphQL errors sent to clients, by extensions.code (unknown codes as OTHER).',
    labelNames: ['code'] as const,
    registers,
  });
  const boundedName = (name: string | null | undefined) => {
    const label = operationLabel(name);
    if (seen.has(label)) return label;
    if (seen.size >= MAX_OPERATION_NAMES) return 'other';
    seen.add(label);
    return label;
  };
  return {
    observeOperation(type: OperationType, name: string | null | undefined, seconds: number) {
      operationSeconds.observe({ type, operation: boundedName(name) }, seconds);
    },
    countErrors(codes: readonly unknown[]) {
      for (const code of codes) errors.inc({ code: errorCodeLabel(code) });
    },
    subscriptionsActive: new Gauge({
      name: 'agent_relay_subscriptions_active',
      help: 'GraphQL subscriptions open over WebSocket.',
      registers,
    }),
    wsConnectionsActive: new Gauge({
      name: 'agent_relay_ws_connections_active',
      help: 'Acknowledged graphql-ws connections.',
      registers,
    }),
  };
};

export type GraphqlMetrics = ReturnType<typeof createGraphqlMetrics>;

/** `extensions.code` of each formatted error, as sent to the client. */
export const codesOf = (
  errors: readonly { extensions?: Record<string, unknown> | undefined }[] | undefined,
): unknown[] => (errors ?? []).map((error) => error.extensions?.['code']);
