import type { Redis } from 'ioredis';
import type { ReplyCancellations } from '../../domain/ports/reply-cancellations';
import { AppError } from '../../domain/errors';
import { withTimeout, type Component } from '../lifecycle';
import type { Logger } from '../logger';
import { chatKeys, execOrThrow } from './redis-keys';

export interface RedisReplyCancellationsOptions {
  readonly client: Redis;
  readonly prefix: string;
  /** How long a request is remembered: the reply stream's TTL, so it outlives any run of the reply. */
  readonly ttlSeconds: number;
  readonly logger?: Logger;
}

export interface RedisReplyCancellations extends ReplyCancellations, Component {
  /** Calls `listener` with each reply id whose stop is requested from now on (after start(), in any process). */
  onRequested(listener: (replyId: string) => void): void;
}

/**
 * Stop requests on Redis: a flag per reply (SET NX, so the first request is told from a repeat)
 * and a PUBLISH on one channel per deployment, in one MULTI. The component part is the listening
 * side (generate workers): start() opens one subscriber connection. A notification lost while it
 * is down is covered by the flag, which a worker reads before it starts generating a reply.
 */
export const createRedisReplyCancellations = (options: RedisReplyCancellationsOptions): RedisReplyCancellations => {
  const { client, ttlSeconds } = options;
  const keys = chatKeys(options.prefix);
  const listeners: ((replyId: string) => void)[] = [];
  let subscriber: Redis | undefined;
  return {
    name: 'reply-cancellations',
    async request(replyId) {
      const [set] = await execOrThrow(
        client.multi().set(keys.cancel(replyId), '1', 'EX', ttlSeconds, 'NX').publish(keys.cancelChannel(), replyId),
      );
      return set === 'OK' ? 'requested' : 'already';
    },
    isRequested: async (replyId) => (await client.exists(keys.cancel(replyId))) === 1,
    onRequested(listener) {
      listeners.push(listener);
    },
    async start() {
      if (subscriber) return;
      const connection = client.duplicate({ lazyConnect: true });
      connection.on('message', (_channel: string, replyId: string) =>
        listeners.forEach((listener) => listener(replyId)),
      );
      connection.on('error', (error: Error) =>
        options.logger?.warn({ component: 'reply-cancellations', err: error }, 'reply-cancellations subscriber error'),
      );
      try {
        await withTimeout(
          'reply-cancellations subscribe',
          5000,
          connection.connect().then(() => connection.subscribe(keys.cancelChannel())),
        );
      } catch (error) {
        connection.disconnect();
        throw new AppError(
          'SERVICE_UNAVAILABLE',
          `reply-cancellations subscriber could not subscribe: ${(error as Error).message}`,
          { cause: error },
        );
      }
      subscriber = connection;
    },
    async stop() {
      const connection = subscriber;
      subscriber = undefined;
      if (connection) await connection.quit().catch(() => connection.disconnect());
    },
    ready: async () => subscriber?.status === 'ready',
  };
};
