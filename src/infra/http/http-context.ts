import type { ExpressContextFunctionArgument } from '@as-integrations/express5';
import { randomUUID } from 'node:crypto';
import { isAppError } from '../../domain/errors';
import type { Principal } from '../../domain/identity';
import type { TokenVerifier } from '../../domain/ports/token-verifier';
import type { GraphQLContext } from '../../resolvers/context';
import { appErrorToGraphQL } from '../../resolvers/to-graphql-error';
import { bearerToken } from '../auth/jwt';
import type { Logger } from '../logger';

/** Builds the per-operation context once the caller is known (HTTP and WebSocket share it). */
export const contextFor = (principal: Principal, logger: Logger, requestId: string = randomUUID()): GraphQLContext => ({
  principal,
  requestId,
  logger: logger.child({ requestId, userId: principal.userId }),
});

/**
 * Every HTTP operation needs a valid bearer token: there is no anonymous or "dev
 * user" path. A refusal is a 401 with `extensions.code = UNAUTHENTICATED`.
 */
export const createHttpContext =
  (verifier: TokenVerifier, logger: Logger) =>
  async ({ req }: ExpressContextFunctionArgument): Promise<GraphQLContext> => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw appErrorToGraphQL('UNAUTHENTICATED', 'missing bearer token', 401);
    try {
      const principal = await verifier.verify(token);
      const requestId = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'].slice(0, 64) : randomUUID();
      return contextFor(principal, logger, requestId);
    } catch (error) {
      throw appErrorToGraphQL('UNAUTHENTICATED', isAppError(error) ? error.message : 'invalid token', 401);
    }
  };
