import { GraphQLError } from 'graphql';
import { isTransient } from '../../src/cli/chat-client/errors';
import { toGraphQLError } from '../../src/server/errors/to-graphql-error';
import { isServiceUnavailable } from '../../src/server/errors/unavailable-service';
import { createRecordingLogger } from '../support/fakes/recording-logger';

/** ioredis' error when a command gives up while Redis is unreachable (its class name is what matters). */
class MaxRetriesPerRequestError extends Error {
  override name = 'MaxRetriesPerRequestError';
}

const asResolverError = (cause: Error) =>
  new GraphQLError(cause.message, { originalError: cause, path: ['chatStream'] });

describe('a backing service that cannot be reached', () => {
  it('is told to clients as SERVICE_UNAVAILABLE, logged as a warning, not as an internal error', () => {
    const logger = createRecordingLogger();
    const error = asResolverError(
      new MaxRetriesPerRequestError('Reached the max retries per request limit (which is 20).'),
    );
    const formatted = toGraphQLError({ message: error.message, path: ['chatStream'] }, error, logger);
    expect(formatted.extensions?.['code']).toBe('SERVICE_UNAVAILABLE');
    expect(logger.at('error')).toHaveLength(0);
    expect(logger.at('warn')).toHaveLength(1);
  });

  it('is recognised along the cause chain: a database socket closed under a MikroORM error', () => {
    const driver = Object.assign(
      new Error('(conn:7, no: 45009, SQLState: 08S01) socket has unexpectedly been closed'),
      { sqlState: '08S01' },
    );
    expect(isServiceUnavailable(new Error('insert failed', { cause: driver }))).toBe(true);
    expect(
      isServiceUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
  });

  it('leaves other failures INTERNAL_SERVER_ERROR', () => {
    const logger = createRecordingLogger();
    const error = asResolverError(new TypeError("Cannot read properties of undefined (reading 'seq')"));
    expect(toGraphQLError({ message: error.message }, error, logger).extensions?.['code']).toBe(
      'INTERNAL_SERVER_ERROR',
    );
    expect(isServiceUnavailable(Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY' }))).toBe(false);
  });

  it('makes the chat client resubscribe, while any other GraphQL error still ends it', () => {
    expect(
      isTransient([{ message: 'a backing service is unavailable', extensions: { code: 'SERVICE_UNAVAILABLE' } }]),
    ).toBe(true);
    expect(isTransient([{ message: 'not found', extensions: { code: 'NOT_FOUND' } }])).toBe(false);
    expect(
      isTransient([
        { message: 'x', extensions: { code: 'SERVICE_UNAVAILABLE' } },
        { message: 'y', extensions: { code: 'BAD_USER_INPUT' } },
      ]),
    ).toBe(false);
  });
});
