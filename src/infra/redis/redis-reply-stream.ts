import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { isTerminal, type CursoredReplyEvent, type ReplyEvent } from '../../domain/chat/chat-types';
import type { ConversationScope, ReplyStream } from '../../domain/chat/ports';
import { AppError } from '../../domain/errors';
import type { Component } from '../lifecycle';
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

type ReplyScope = ConversationScope & { replyId: string };

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
  const { client, prefix, maxLen, ttlSeconds, logger } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const keys = chatKeys(prefix);
  const notifications = new EventEmitter();
  notifications.setMaxListeners(0);
  const announced = new Set<string>();
  let subscriber: Redis | undefined;

  const wakeAll = () => {
    for (const key of notifications.eventNames()) notifications.emit(key);
  };

  /** Wakes a reader on a notification for its key, on its signal, or when the poll interval passes. */
  const watch = (key: string, signal?: AbortSignal) => {
    let dirty = false;
    let wake: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const onChange = () => {
      dirty = true;
      wake?.();
    };
    notifications.on(key, onChange);
    signal?.addEventListener('abort', onChange);
    return {
      /** Call before each read: a change landing between the read and wait() is then not lost. */
      arm() {
        dirty = false;
      },
      wait: async () => {
        if (dirty) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, pollIntervalMs);
        });
        wake = undefined;
        clearTimeout(timer);
      },
      close() {
        notifications.off(key, onChange);
        signal?.removeEventListener('abort', onChange);
        clearTimeout(timer);
      },
    };
  };

  async function* follow(key: string, replyId: string, after: string | undefined, signal?: AbortSignal): AsyncGenerator<CursoredReplyEvent> {
    // The first page starts at `after` inclusively so that resuming right after the terminal
    // event ends at once instead of waiting forever for an event that will never come.
    let start = after ?? '-';
    const watcher = watch(key, signal);
    try {
      while (!signal?.aborted) {
        watcher.arm();
        const entries = await client.xrange(key, start, '+', 'COUNT', PAGE);
        for (const [id, fields] of entries) {
          start = `(${id}`;
          const event = decode(fields);
          if (id === after) {
            if (event && isTerminal(event)) return;
            continue;
          }
          if (!event) continue;
          if (signal?.aborted) return;
          yield { cursor: id, replyId, event };
          if (isTerminal(event)) return;
        }
        if (entries.length < PAGE) await watcher.wait();
      }
    } finally {
      watcher.close();
    }
  }

  const append = async (scope: ReplyScope, event: ReplyEvent): Promise<string> => {
    const key = keys.reply(scope);
    const multi = client.multi().xadd(key, 'MAXLEN', '~', maxLen, '*', 'e', JSON.stringify(event)).expire(key, ttlSeconds);
    // Only the first append names the reply latest: an older reply still streaming must not
    // take the pointer back from a newer one. One process produces a reply, so memory suffices.
    const first = !announced.has(key);
    if (first) multi.set(keys.latest(scope), scope.replyId, 'EX', ttlSeconds);
    multi.publish(keys.notifyChannel(), key);
    const [id] = await execOrThrow(multi);
    if (isTerminal(event)) announced.delete(key);
    else if (first) remember(key);
    return id as string;
  };

  const remember = (key: string) => {
    announced.add(key);
    const oldest = announced.size > MAX_ANNOUNCED ? announced.values().next().value : undefined;
    if (oldest !== undefined) announced.delete(oldest);
  };

  const start = async () => {
    if (subscriber) return;
    const connection = client.duplicate({ lazyConnect: true });
    connection.on('message', (_channel: string, key: string) => notifications.emit(key));
    connection.on('error', (error: Error) => logger?.warn({ component: 'reply-stream', err: error }, 'reply-stream subscriber error'));
    // Notifications published while the connection was down are gone: let every waiting reader re-read.
    connection.on('ready', wakeAll);
    try {
      await connection.connect();
      await connection.subscribe(keys.notifyChannel());
    } catch (error) {
      connection.disconnect();
      throw new AppError('SERVICE_UNAVAILABLE', `reply-stream subscriber could not subscribe: ${(error as Error).message}`, { cause: error });
    }
    subscriber = connection;
  };

  return {
    name: 'reply-stream',
    append,
    read(scope, { after, signal }) {
      const key = keys.reply(scope);
      if (after !== undefined && !STREAM_ID.test(after)) throw new AppError('BAD_USER_INPUT', `invalid cursor: ${JSON.stringify(after)}`);
      return follow(key, scope.replyId, after, signal);
    },
    latestReply: (scope) => client.get(keys.latest(scope)),
    start,
    async stop() {
      const connection = subscriber;
      subscriber = undefined;
      if (connection) await connection.quit().catch(() => connection.disconnect());
    },
    ready: async () => subscriber?.status === 'ready',
  };
};
