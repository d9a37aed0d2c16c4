import type { ApolloServerPlugin, BaseContext, GraphQLResponse } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { performance } from 'node:perf_hooks';
import { codesOf, type GraphqlMetrics } from './graphql-metrics';

const formattedErrors = (response: GraphQLResponse) =>
  response.body.kind === 'single' ? response.body.singleResult.errors : response.body.initialResult.errors;

const codeOf = (error: Error) => (error instanceof GraphQLError ? error.extensions['code'] : undefined);

/**
 * Times every HTTP GraphQL operation and counts the errors clients receive. Errors are read
 * in willSendResponse, after formatError, so the code is the one the shared error mapping
 * chose (didEncounterErrors sees raw errors, where an AppError has no code yet). Requests
 * whose operation never resolved (parse or validation failures) are counted, not timed.
 */
export const apolloMetricsPlugin = <TContext extends BaseContext>(
  metrics: GraphqlMetrics,
): ApolloServerPlugin<TContext> => ({
  async requestDidStart() {
    const startedAt = performance.now();
    return {
      async willSendResponse({ operation, operationName, response }) {
        metrics.countErrors(codesOf(formattedErrors(response)));
        if (!operation) return;
        metrics.observeOperation(
          `${operation.operation}`,
          operation.name?.value ?? operationName,
          (performance.now() - startedAt) / 1000,
        );
      },
    };
  },
  // A refused token never reaches requestDidStart: Apollo stops at the context function.
  async contextCreationDidFail({ error }) {
    metrics.countErrors([codeOf(error)]);
  },
  async invalidRequestWasReceived({ error }) {
    metrics.countErrors([codeOf(error)]);
  },
});
