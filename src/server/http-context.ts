import type { ExpressContextFunctionArgument } from '@as-integrations/express5';
import { randomBytes, randomUUID } from 'node:crypto';
import { isAppError } from '../domain/errors';
import type { Principal } from '../domain/identity';
import type { TokenVerifier } from '../domain/ports/token-verifier';
import type { GraphQLContext } from '../resolvers/context';
import { createResponseBudget } from '../resolvers/response-budget';
import { appErrorToGraphQL } from './errors/to-graphql-error';
import { bearerToken } from './bearer-token';
import type { Logger } from '../infra/logger';
import { startOperationSpan, trackOperationSpan } from './graphql-spans';
import type { AppTracer } from '../infra/tracing/otel-tracer';

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** A client's W3C traceparent when well-formed, else a fresh one, so every write is traceable. */
const traceparentFrom = (header: unknown): string =>
  typeof header === 'string' && TRACEPARENT.test(header)
    ? header
    : `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;

/**
 * Builds the per-operation context once the caller is known (HTTP and WebSocket share it).
 * With tracing on, the operation's span is started here and its traceparent is the context's.
 */
export const contextFor = (
  principal: Principal,
  logger: Logger,
  options: {
    maxResponseBytes: number;
    /** The content limit: what one row's text is reserved at before it is loaded. */
    maxContentChars: number;
    requestId?: string;
    traceparent?: unknown;
    tracer?: AppTracer;
    transport?: 'http' | 'ws';
  },
): GraphQLContext => {
  const requestId = options.requestId ?? randomUUID();
  // No tracer (tests that build a server bare) is tracing off: no span, as the no-op tracer would give.
  const span = options.tracer && startOperationSpan(options.tracer, options.traceparent, options.transport ?? 'http');
  const traceparent = span?.traceparent ?? traceparentFrom(options.traceparent);
  const child = logger.child({ requestId, userId: principal.userId, traceId: traceparent.slice(3, 35) });
  const context = {
    principal,
    requestId,
    traceparent,
    logger: child,
    responseBudget: createResponseBudget({
      maxBytes: options.maxResponseBytes,
      maxContentChars: options.maxContentChars,
    }),
  };
  if (span) trackOperationSpan(context, span);
  return context;
};

/**
 * Every HTTP operation needs a valid bearer token: there is no anonymous or "dev
 * user" path. A refusal is a 401 with `extensions.code = UNAUTHENTICATED`.
 */
export const createHttpContext =
  (
    verifier: TokenVerifier,
    logger: Logger,
    limits: { maxResponseBytes: number; maxContentChars: number },
    tracer?: AppTracer,
  ) =>
  async ({ req }: ExpressContextFunctionArgument): Promise<GraphQLContext> => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw appErrorToGraphQL('UNAUTHENTICATED', 'missing bearer token', 401);
    try {
      const principal = await verifier.verify(token);
      const requestId =
        typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'].slice(0, 64) : undefined;
      return contextFor(principal, logger, {
        maxResponseBytes: limits.maxResponseBytes,
        maxContentChars: limits.maxContentChars,
        requestId,
        traceparent: req.headers.traceparent,
        tracer,
      });
    } catch (error) {
      throw appErrorToGraphQL('UNAUTHENTICATED', isAppError(error) ? error.message : 'invalid token', 401);
    }
  };
