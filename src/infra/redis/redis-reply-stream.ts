import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { isTerminal, type CursoredReplyEvent, type ReplyEvent } from '../../domain/chat/chat-types';
import type { ReplyStream } from '../../domain/chat/ports';
import { AppError } from '../../domain/errors';
import { withTimeout, type Component } from '../lifecycle';
import type { Logger } from '../logger';
import { chatKeys, execOrThrow } from './redis-keys';

export interface RedisReplyStreamOptions {
  readonly client: Redis;
  readonly prefix: string;
  /** Approximate cap per reply stream (MAXLEN ~): a resume from a trimmed cursor loses events. */
  readonly maxLen: number;
  readonly ttlSeconds: number;
  /** Fallback re-read interval for a waiting reader, covering lost pub/sub messages. */
  readonly pollIntervalMs?: number;
  readonly logger?: Logger;
}

const STREAM_ID = /^\d+-\d+$/;
const PAGE = 500;
// Replies this process has announced as latest; a cap keeps a producer that never ends one from leaking.
const MAX_ANNOUNCED = 10_000;

const decode = (fields: string[]): ReplyEvent | undefined => {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== 'e') continue;
    try {
      const value: unknown = JSON.parse(fields[i + 1] as string);
      if (typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string') return value as ReplyEvent;
    } catch {
      return undefined;
    }
  }
  return undefined;
};

/** In-process fan-out of "this stream key grew" notifications to the readers waiting on it. */
const createNotifications = (pollIntervalMs: number) => {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    notify: (key: string) => emitter.emit(key),
    /** Lets every waiting reader re-read, e.g. after messages may have been lost. */
    notifyAll: () => emitter.eventNames().forEach((key) => emitter.emit(key)),
    /** Wakes one reader on a notification for its key, on its signal, or when the poll interval passes. */
    watch(key: string, signal?: AbortSignal) {
      let dirty = false;
      let wake: (() => void) | undefined;
      let timer: NodeJS.Timeout | undefined;
      const onChange = () => {
        dirty = true;
        wake?.();
      };
      emitter.on(key, onChange);
      signal?.addEventListener('abort', onChange);
      return {
        /** Call before each read: a change landing between the read and wait() is then not lost. */
        arm() {
          dirty = false;
        },
        async wait() {
          if (dirty) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, pollIntervalMs);
          });
          wake = undefined;
          clearTimeout(timer);
        },
        close() {
          emitter.off(key, onChange);
          signal?.removeEventListener('abort', onChange);
          clearTimeout(timer);
        },
      };
    },
  };
};

type Notifications = ReturnType<typeof createNotifications>;

async function* follow(
  deps: { client: Redis; notifications: Notifications },
  target: { key: string; replyId: string; after: string | undefined; signal: AbortSignal | undefined },
): AsyncGenerator<CursoredReplyEvent> {
  const { key, replyId, after, signal } = target;
  // The first page starts at `after` inclusively so that resuming right after the terminal
  // event ends at once instead of waiting forever for an event that will never come.
  let start = after ?? '-';
  const watcher = deps.notifications.watch(key, signal);
  try {
    while (!signal?.aborted) {
      watcher.arm();
      const entries = await deps.client.xrange(key, start, '+', 'COUNT', PAGE);
      for (const [id, fields] of entries) {
        start = `(${id}`;
        const event = decode(fields);
        if (id === after) {
          if (event && isTerminal(event)) return;
          continue;
        }
        if (signal?.aborted) return;
        if (!event) continue;
        yield { cursor: id, replyId, event };
        if (isTerminal(event)) return;
      }
      if (entries.length < PAGE) await watcher.wait();
    }
  } finally {
    watcher.close();
  }
}

/**
 * Replies this process has named latest. Only a reply's first append sets the latest pointer, so
 * an older reply still streaming cannot take it back from a newer one; one process produces a
 * reply, so memory suffices. The cap keeps a producer that never ends a reply from leaking.
 */
const createAnnouncements = () => {
  const announced = new Set<string>();
  return {
    isFirst: (key: string) => !announced.has(key),
    appended(key: string, terminal: boolean) {
      if (terminal) {
        announced.delete(key);
        return;
      }
      announced.add(key);
      const oldest = announced.size > MAX_ANNOUNCED ? announced.values().next().value : undefined;
      if (oldest !== undefined) announced.delete(oldest);
    },
  };
};

const openSubscriber = async (client: Redis, channel: string, notifications: Notifications, logger?: Logger): Promise<Redis> => {
  const connection = client.duplicate({ lazyConnect: true });
  connection.on('message', (_channel: string, key: string) => notifications.notify(key));
  connection.on('error', (error: Error) => logger?.warn({ component: 'reply-stream', err: error }, 'reply-stream subscriber error'));
  // Notifications published while the connection was down are gone: let every waiting reader re-read.
  connection.on('ready', notifications.notifyAll);
  try {
    // Fail fast at start like the main client; once running, ioredis reconnects and resubscribes.
    await withTimeout('reply-stream subscribe', 5000, connection.connect().then(() => connection.subscribe(channel)));
    return connection;
  } catch (error) {
    connection.disconnect();
    throw new AppError('SERVICE_UNAVAILABLE', `reply-stream subscriber could not subscribe: ${(error as Error).message}`, { cause: error });
  }
};

/**
 * The ReplyStream port on one Redis Stream per reply, plus the 'reply-stream' component.
 *
 * Readers never block a Redis connection: each append PUBLISHes the stream key on one channel,
 * a single subscriber connection per process (opened in start()) fans notifications out
 * in-process, and a waiting reader re-reads with XRANGE when notified, when its poll timer
 * fires (lost messages, reconnects, or before start()), or when its signal aborts.
 *
 * `read` validates ids and `after` eagerly, throwing AppError BAD_USER_INPUT from the call itself,
 * so a subscription resolver fails before it returns an iterator. Ending a waiting reader is
 * prompt through its signal; return() on the iterator takes effect at the next wake-up.
 */
export const createRedisReplyStream = (options: RedisReplyStreamOptions): ReplyStream & Component => {
  const { client, maxLen, ttlSeconds } = options;
  const keys = chatKeys(options.prefix);
  const notifications = createNotifications(options.pollIntervalMs ?? 1000);
  const announcements = createAnnouncements();
  let subscriber: Redis | undefined;
  return {
    name: 'reply-stream',
    async append(scope, event) {
      const key = keys.reply(scope);
      const first = announcements.isFirst(key);
      const multi = client.multi().xadd(key, 'MAXLEN', '~', maxLen, '*', 'e', JSON.stringify(event)).expire(key, ttlSeconds);
      if (first) multi.set(keys.latest(scope), scope.replyId, 'EX', ttlSeconds);
      const [id] = await execOrThrow(multi.publish(keys.notifyChannel(), key));
      announcements.appended(key, isTerminal(event));
      return id as string;
    },
    read(scope, { after, signal }) {
      const key = keys.reply(scope);
      if (after !== undefined && !STREAM_ID.test(after)) throw new AppError('BAD_USER_INPUT', `invalid cursor: ${JSON.stringify(after)}`);
      return follow({ client, notifications }, { key, replyId: scope.replyId, after, signal });
    },
    latestReply: (scope) => client.get(keys.latest(scope)),
    async start() {
      subscriber ??= await openSubscriber(client, keys.notifyChannel(), notifications, options.logger);
    },
    async stop() {
      const connection = subscriber;
      subscriber = undefined;
      if (connection) await connection.quit().catch(() => connection.disconnect());
    },
    ready: async () => subscriber?.status === 'ready',
  };
};
