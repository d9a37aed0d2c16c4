import { GraphQLError, getOperationAST, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { isAppError } from '../../domain/errors';
import type { Principal } from '../../domain/identity';
import type { TokenVerifier } from '../../domain/ports/token-verifier';
import { toGraphQLError } from '../../resolvers/to-graphql-error';
import { bearerToken } from '../auth/jwt';
import type { Logger } from '../logger';
import { codesOf } from '../metrics/graphql-metrics';
import type { WsMetrics } from '../metrics/ws-metrics';
import { endOperationSpan } from '../tracing/graphql-spans';
import type { AppTracer } from '../tracing/otel-tracer';
import { contextFor } from './http-context';
import { variableCostError } from './limits/query-limits';
import { createValidatedDocuments } from './limits/validated-documents';

/** An execution error as the span lists it: the AppError's code, as clients will see it after formatting. */
const spanError = (error: GraphQLError) => ({ message: error.message, extensions: { code: error.extensions['code'] ?? (isAppError(error.originalError) ? error.originalError.code : 'INTERNAL_SERVER_ERROR') } });

/** setTimeout overflows past 2^31-1 ms; longer tokens are re-armed by reconnects anyway. */
const MAX_TIMER_MS = 2_147_483_647;

type SocketExtra = {
  socket: WebSocket;
  principal?: Principal;
  expiryTimer?: NodeJS.Timeout;
};

/**
 * graphql-ws on the HTTP server's /graphql path. Identity is checked once, at
 * connection_init: no token closes with 4401, a bad or expired one with 4403, and a
 * token that expires while the socket is open closes it with 4403 at that moment.
 */
export const createWsServer = (deps: {
  httpServer: Server;
  schema: GraphQLSchema;
  verifier: TokenVerifier;
  logger: Logger;
  limits: { maxDepth: number; maxCost: number; maxSubscriptionsPerConnection: number; bodyLimitBytes: number };
  metrics?: WsMetrics;
  tracer?: AppTracer;
}) => {
  const { logger, metrics } = deps;
  const formatErrors = (errors: readonly GraphQLError[]) => {
    const formatted = errors.map((error) => toGraphQLError(error.toJSON(), error, logger));
    metrics?.countErrors(codesOf(formatted));
    return formatted;
  };
  const validated = createValidatedDocuments(deps.schema, deps.limits);
  const wsServer = new WebSocketServer({ server: deps.httpServer, path: '/graphql', maxPayload: deps.limits.bodyLimitBytes });
  wsServer.on('error', (error) => logger.error({ err: error }, 'websocket server error'));
  const cleanup = useServer<Record<string, unknown>, SocketExtra>(
    {
      schema: deps.schema,
      onConnect: async (ctx) => {
        const token = bearerToken(ctx.connectionParams?.['authorization'] ?? ctx.connectionParams?.['Authorization']);
        if (!token) {
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
          return false;
        }
        try {
          const principal = await deps.verifier.verify(token);
          ctx.extra.principal = principal;
          const msLeft = Math.min(principal.expiresAt * 1000 - Date.now(), MAX_TIMER_MS);
          ctx.extra.expiryTimer = setTimeout(() => ctx.extra.socket.close(CloseCode.Forbidden, 'Token expired'), Math.max(msLeft, 0));
          metrics?.connected(ctx.extra);
          return true;
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
      },
      onClose: (ctx) => {
        clearTimeout(ctx.extra.expiryTimer);
        metrics?.closed(ctx.extra);
      },
      // The new subscription is already registered when this runs, hence ">". Parsing and
      // validation happen here, not in graphql-ws's `validate`: here they can be remembered per
      // document, and the operation's variables are known for the cost of `first: $n`.
      onSubscribe: (ctx, id, payload) => {
        if (Object.keys(ctx.subscriptions).length > deps.limits.maxSubscriptionsPerConnection) {
          return [new GraphQLError(`at most ${deps.limits.maxSubscriptionsPerConnection} operations per connection`, { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } })];
        }
        metrics?.subscribing(ctx.extra, id);
        const { document, errors } = validated(payload.query);
        if (errors) return [...errors];
        const variableValues = payload.variables ?? {};
        const costly = variableCostError(deps.limits, document, getOperationAST(document, payload.operationName), variableValues);
        if (costly) return [costly];
        return { schema: deps.schema, document, variableValues, operationName: payload.operationName };
      },
      onOperation: (ctx, id, _payload, args, result) => {
        metrics?.executed(ctx.extra, id, args);
        // A subscription's span ends once it is set up (its events are not part of it), as its timing does.
        const settled = result as Awaited<typeof result>; // graphql-ws hands over the awaited result
        endOperationSpan(args.contextValue as object, getOperationAST(args.document, args.operationName), 'errors' in settled ? settled.errors?.map(spanError) : undefined);
      },
      context: (ctx) => {
        if (!ctx.extra.principal) throw new Error('unreachable: operation before acknowledged connection');
        return contextFor(ctx.extra.principal, logger, { tracer: deps.tracer, transport: 'ws' });
      },
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: formatErrors(result.errors) } : undefined),
      onError: (ctx, id, _payload, errors) => {
        metrics?.failed(ctx.extra, id);
        return formatErrors(errors);
      },
      onComplete: (ctx, id) => metrics?.completed(ctx.extra, id),
    },
    wsServer,
  );
  return { dispose: () => cleanup.dispose() };
};
