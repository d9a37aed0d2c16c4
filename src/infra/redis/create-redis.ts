import { Redis } from 'ioredis';
import type { AppConfig } from '../../config';
import { AppError } from '../../domain/errors';
import { createStatusTracker, withTimeout, type Component } from '../lifecycle';
import type { Logger } from '../logger';

export interface RedisClients extends Component {
  /** Commands (cache, streams, rate limits, BullMQ queues). */
  client(): Redis;
  /** Options for BullMQ workers, which need blocking connections without per-request retries. */
  workerConnection(): WorkerConnection;
}

/** Connects within 5 s, or drops the client: one left connecting would retry for ever and keep its process alive. */
export const connectOrDrop = async (what: string, client: Redis) => {
  try {
    await withTimeout(`${what} connect`, 5000, client.connect());
  } catch (error) {
    client.disconnect();
    throw error;
  }
};

/** Plain connection options; BullMQ opens its own connections from them. */
export interface WorkerConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls?: Record<string, never>;
  maxRetriesPerRequest: null;
}

const optionsFrom = (url: string): Omit<WorkerConnection, 'maxRetriesPerRequest'> => {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username || undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
};

export const createRedis = (redis: AppConfig['redis'], logger: Logger): RedisClients => {
  const status = createStatusTracker('redis', logger);
  const base = optionsFrom(redis.url);
  // Created now but lazy: nothing connects before start(), and adapters can hold the client.
  // Auto-pipelining sends every command issued in one tick in one socket write: with many
  // replies streaming at once, that is one write for many appends instead of one each (socket
  // writes were the largest single item in the chat profile). BullMQ uses its own connections.
  const client = new Redis({
    ...base,
    lazyConnect: true,
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    enableAutoPipelining: true,
  });
  client.on('error', (error) => status.set('unhealthy', error.message));
  client.on('ready', () => status.set('ready'));
  return {
    name: 'redis',
    client: () => client,
    workerConnection: () => ({ ...base, maxRetriesPerRequest: null }),
    async start() {
      status.set('starting');
      try {
        // Fail fast at start; once running, ioredis reconnects on its own.
        await connectOrDrop('redis', client);
        await client.ping();
      } catch (error) {
        client.disconnect();
        throw new AppError(
          'SERVICE_UNAVAILABLE',
          `redis unreachable at ${base.host}:${base.port}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      status.set('ready');
    },
    async stop() {
      await client.quit().catch(() => client.disconnect());
      status.set('stopped');
    },
    async ready() {
      if (client.status !== 'ready') return false;
      try {
        return (await withTimeout('redis ping', 2000, client.ping())) === 'PONG';
      } catch {
        return false;
      }
    },
  };
};
