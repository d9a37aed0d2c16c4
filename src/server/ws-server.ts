import { GraphQLError, getOperationAST, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { isAppError } from '../domain/errors';
import type { Principal } from '../domain/identity';
import type { TokenVerifier } from '../domain/ports/token-verifier';
import { toGraphQLError } from './errors/to-graphql-error';
import { bearerToken } from './bearer-token';
import type { Logger } from '../infra/logger';
import { codesOf } from './metrics/graphql-metrics';
import type { WsMetrics } from './metrics/ws-metrics';
import { endOperationSpan } from './graphql-spans';
import type { AppTracer } from '../infra/tracing/otel-tracer';
import { contextFor } from './http-context';
import { withoutSuggestions } from './limits/hide-suggestions';
import type { InFlightBudget } from './limits/in-flight-budget';
import { inFlightError, measureRequest } from './limits/query-limits';
import { createValidatedDocuments, type DocumentPolicy } from './limits/validated-documents';

/** An execution error as the span lists it: the AppError's code, as clients will see it after formatting. */
const spanError = (error: GraphQLError) => ({
  message: error.message,
  extensions: {
    code:
      error.extensions['code'] ??
      (isAppError(error.originalError) ? error.originalError.code : 'INTERNAL_SERVER_ERROR'),
  },
});

/** setTimeout overflows past 2^31-1 ms; longer tokens are re-armed by reconnects anyway. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Close code for a user over WS_MAX_CONNECTIONS_PER_USER (private range 4000-4999; graphql-ws
 * clients retry unknown codes with their backoff, which is what a user should do once a tab closes).
 */
const TOO_MANY_CONNECTIONS_CLOSE_CODE = 4029;

type SocketExtra = {
  socket: WebSocket;
  principal?: Principal;
  expiryTimer?: NodeJS.Timeout;
  /** Set once the socket counts against its user's connections. */
  counted?: boolean;
  /** Response data reserved by this socket's queries and mutations in flight, by operation id. */
  reserved?: Map<string, () => void>;
};

/** Gives back what an operation reserved (all of the socket's when `id` is omitted). */
const releaseReserved = (extra: SocketExtra, id?: string) => {
  for (const [key, release] of extra.reserved ?? []) {
    if (id !== undefined && key !== id) continue;
    release();
    extra.reserved?.delete(key);
  }
};

/** Open, acknowledged connections per user in this process. */
const createConnectionCounter = (max: number) => {
  const open = new Map<string, number>();
  return {
    /** Counts the connection in, or returns false when the user already holds `max`. */
    take(userId: string) {
      const count = open.get(userId) ?? 0;
      if (count >= max) return false;
      open.set(userId, count + 1);
      return true;
    },
    release(userId: string) {
      const count = (open.get(userId) ?? 1) - 1;
      if (count > 0) open.set(userId, count);
      else open.delete(userId);
    },
  };
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
  limits: DocumentPolicy & {
    maxSubscriptionsPerConnection: number;
    maxConnectionsPerUser: number;
    bodyLimitBytes: number;
  };
  metrics?: WsMetrics;
  /** Shared with HTTP: a user's operations in flight on either transport count together. */
  inFlight: InFlightBudget;
  tracer?: AppTracer;
}) => {
  const connections = createConnectionCounter(deps.limits.maxConnectionsPerUser);
  const { logger, metrics } = deps;
  const formatErrors = (errors: readonly GraphQLError[]) => {
    const formatted = errors
      .map((error) => toGraphQLError(error.toJSON(), error, logger))
      .map((error) => (deps.limits.sandbox ? error : withoutSuggestions(error)));
    metrics?.countErrors(codesOf(formatted));
    return formatted;
  };
  const validated = createValidatedDocuments(deps.schema, deps.limits);
  const wsServer = new WebSocketServer({
    server: deps.httpServer,
    path: '/graphql',
    maxPayload: deps.limits.bodyLimitBytes,
  });
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
          if (!connections.take(principal.userId)) {
            logger.warn(
              { userId: principal.userId, limit: deps.limits.maxConnectionsPerUser },
              'websocket refused: too many connections for this user',
            );
            ctx.extra.socket.close(TOO_MANY_CONNECTIONS_CLOSE_CODE, 'Too many connections');
            return false;
          }
          ctx.extra.counted = true;
          ctx.extra.principal = principal;
          const msLeft = Math.min(principal.expiresAt * 1000 - Date.now(), MAX_TIMER_MS);
          ctx.extra.expiryTimer = setTimeout(
            () => ctx.extra.socket.close(CloseCode.Forbidden, 'Token expired'),
            Math.max(msLeft, 0),
          );
          metrics?.connected(ctx.extra);
          return true;
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
      },
      onClose: (ctx) => {
        clearTimeout(ctx.extra.expiryTimer);
        releaseReserved(ctx.extra);
        if (ctx.extra.counted && ctx.extra.principal) connections.release(ctx.extra.principal.userId);
        metrics?.closed(ctx.extra);
      },
      // The new subscription is already registered when this runs, hence ">". Parsing and
      // validation happen here, not in graphql-ws's `validate`: here they can be remembered per
      // document, and the operation's variables are known for the cost of `first: $n`.
      onSubscribe: (ctx, id, payload) => {
        if (Object.keys(ctx.subscriptions).length > deps.limits.maxSubscriptionsPerConnection) {
          return [
            new GraphQLError(`at most ${deps.limits.maxSubscriptionsPerConnection} operations per connection`, {
              extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
            }),
          ];
        }
        metrics?.subscribing(ctx.extra, id);
        const { document, errors } = validated(payload.query);
        if (errors) return [...errors];
        const variableValues = payload.variables ?? {};
        const operation = getOperationAST(document, payload.operationName);
        const { bytes, error } = measureRequest(deps.limits, deps.schema, document, operation, variableValues);
        if (error) return [error];
        // As on HTTP: queries and mutations hold their estimate until answered; subscriptions reserve nothing.
        if (operation?.operation !== 'subscription' && ctx.extra.principal) {
          const release = deps.inFlight.reserve(ctx.extra.principal.userId, bytes);
          if (!release) return [inFlightError(deps.limits, operation ?? undefined)];
          (ctx.extra.reserved ??= new Map()).set(id, release);
        }
        return {
          schema: deps.schema,
          document,
          variableValues,
          operationName: payload.operationName,
          hideSuggestions: !deps.limits.sandbox,
        };
      },
      onOperation: (ctx, id, _payload, args, result) => {
        metrics?.executed(ctx.extra, id, args);
        // A subscription's span ends once it is set up (its events are not part of it), as its timing does.
        const settled = result as Awaited<typeof result>; // graphql-ws hands over the awaited result
        endOperationSpan(
          args.contextValue as object,
          getOperationAST(args.document, args.operationName),
          'errors' in settled ? settled.errors?.map(spanError) : undefined,
        );
      },
      context: (ctx) => {
        if (!ctx.extra.principal) throw new Error('unreachable: operation before acknowledged connection');
        return contextFor(ctx.extra.principal, logger, {
          maxResponseBytes: deps.limits.maxResponseBytes,
          maxContentChars: deps.limits.maxContentChars,
          tracer: deps.tracer,
          transport: 'ws',
        });
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: formatErrors(result.errors) } : undefined,
      onError: (ctx, id, _payload, errors) => {
        releaseReserved(ctx.extra, id);
        metrics?.failed(ctx.extra, id);
        return formatErrors(errors);
      },
      onComplete: (ctx, id) => {
        releaseReserved(ctx.extra, id);
        metrics?.completed(ctx.extra, id);
      },
    },
    wsServer,
  );
  return { dispose: () => cleanup.dispose() };
};
