import type { ApolloServerPlugin, BaseContext, GraphQLResponse } from '@apollo/server';
import type { OperationDefinitionNode } from 'graphql';
import type { AppTracer, OpenSpan } from '../infra/tracing/otel-tracer';

/**
 * Each operation's span rides on its GraphQL context under a private symbol: Apollo hands
 * plugins a copy of the context object (Object.assign keeps symbol keys), so a map keyed by
 * the object would miss, and one keyed by string would leak spans that never end.
 */
const OPERATION_SPAN = Symbol('agent-relay.operation-span');
type WithSpan = { [OPERATION_SPAN]?: OpenSpan };

/**
 * The SERVER span of one GraphQL operation, child of the client's traceparent when it sent a
 * valid one. Its traceparent becomes the context's, so what the operation writes (outbox rows,
 * turns) carries this span. Named `graphql` until the operation is known.
 */
export const startOperationSpan = (tracer: AppTracer, clientTraceparent: unknown, transport: 'http' | 'ws'): OpenSpan =>
  tracer.startSpan('graphql', {
    kind: 'server',
    parent: typeof clientTraceparent === 'string' ? clientTraceparent : undefined,
    attributes: { 'agent_relay.transport': transport },
  });

/** Remembers the span for the context it went into, for endOperationSpan. */
export const trackOperationSpan = (context: object, span: OpenSpan) => {
  if (span.traceparent !== undefined) (context as WithSpan)[OPERATION_SPAN] = span;
};

/**
 * Names the span after the operation (`mutation SendMessage`, the GraphQL semantic
 * conventions) and ends it; errors sent to the client are listed by code, and only
 * INTERNAL_SERVER_ERROR (a fault of ours, not of the request) marks the span failed.
 */
export const endOperationSpan = (
  context: object,
  operation: OperationDefinitionNode | null | undefined,
  errors: readonly { message: string; extensions?: Record<string, unknown> }[] | undefined,
) => {
  const span = (context as WithSpan)[OPERATION_SPAN];
  if (!span) return;
  // Ended once, even if a copy of the context comes by again.
  (context as WithSpan)[OPERATION_SPAN] = undefined;
  if (operation) {
    const name = operation.name?.value;
    span.updateName(name ? `${operation.operation} ${name}` : operation.operation);
    span.setAttributes({ 'graphql.operation.type': operation.operation, 'graphql.operation.name': name });
  }
  const codes = (errors ?? []).map((error) => String(error.extensions?.['code'] ?? 'OTHER'));
  if (codes.length > 0) span.setAttributes({ 'agent_relay.graphql.error_codes': [...new Set(codes)].join(',') });
  const internal = (errors ?? []).find((error) => error.extensions?.['code'] === 'INTERNAL_SERVER_ERROR');
  if (internal) span.fail(new Error(internal.message));
  span.end();
};

const formattedErrors = (response: GraphQLResponse) =>
  response.body.kind === 'single' ? response.body.singleResult.errors : response.body.initialResult.errors;

/** Ends each HTTP operation's span once its response is formatted (the codes are the ones clients see). */
export const tracingPlugin = <TContext extends BaseContext>(): ApolloServerPlugin<TContext> => ({
  async requestDidStart({ contextValue }) {
    return {
      async willSendResponse({ operation, response }) {
        endOperationSpan(contextValue, operation, formattedErrors(response));
      },
    };
  },
});
