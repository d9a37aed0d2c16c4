import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { isTerminal, type CursoredReplyEvent, type ReplyEvent } from '../../domain/chat/chat-types';
import type { ReplyStream } from '../../domain/ports/reply-stream';
import { isStreamCursor } from '../../domain/chat/stream-cursor';
import { AppError } from '../../domain/errors';
import { withTimeout, type Component } from '../lifecycle';
import type { Logger } from '../logger';
import { chatKeys } from './redis-keys';

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

const PAGE = 500;

/** An entry's event JSON, or undefined for anything that is not one (skipped by readers). */
const decodeEvent = (json: string): ReplyEvent | undefined => {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string')
      return value as ReplyEvent;
  } catch {
    return undefined;
  }
  return undefined;
};

/** A stream entry's fields as XRANGE returns them: the event is under 'e'. */
const decode = (fields: string[]): ReplyEvent | undefined => {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'e') return decodeEvent(fields[i + 1] as string);
  }
  return undefined;
};

/** A stream entry with its event decoded (once, however many readers take it). */
interface Entry {
  readonly id: string;
  readonly event: ReplyEvent | undefined;
}

/** One append as published on the notify channel: the entry itself and the id it follows. */
interface Pushed extends Entry {
  readonly prevId: string;
}

/** `key \n prevId \n id \n event-json`, as the append script publishes it. */
const parsePushed = (message: string): { key: string; pushed: Pushed } | undefined => {
  const a = message.indexOf('\n');
  const b = message.indexOf('\n', a + 1);
  const c = message.indexOf('\n', b + 1);
  if (a < 0 || b < 0 || c < 0) return undefined;
  return {
    key: message.slice(0, a),
    pushed: { prevId: message.slice(a + 1, b), id: message.slice(b + 1, c), event: decodeEvent(message.slice(c + 1)) },
  };
};

/** Stream ids compare as (ms, seq) pairs. */
const compareIds = (a: string, b: string) => {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
};

/** Pushed entries a slow reader may hold before it re-reads from Redis instead. */
const MAX_BUFFERED = 1_000;
const REREAD = Symbol('reread');

/**
 * In-process fan-out of appends to the readers waiting on their key: one pub/sub message per
 * append, shared by every reader of that reply in the process.
 */
const createNotifications = (pollIntervalMs: number) => {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    push: (key: string, pushed: Pushed) => emitter.emit(key, pushed),
    /** Makes every waiting reader re-read, e.g. after messages may have been lost. */
    notifyAll: () => emitter.eventNames().forEach((key) => emitter.emit(key, REREAD)),
    /** One reader's inbox for its key: pushed entries in order, or "re-read" on its signal or the poll interval. */
    watch(key: string, signal?: AbortSignal) {
      let inbox: (Pushed | typeof REREAD)[] = [];
      let wake: (() => void) | undefined;
      let timer: NodeJS.Timeout | undefined;
      const deliver = (item: Pushed | typeof REREAD) => {
        // A reader far behind drops its inbox and catches up with XRANGE instead.
        if (inbox.length >= MAX_BUFFERED) inbox = [REREAD];
        else inbox.push(item);
        wake?.();
      };
      const onAbort = () => deliver(REREAD);
      emitter.on(key, deliver);
      signal?.addEventListener('abort', onAbort);
      return {
        /** Call before each XRANGE: anything pushed from then on is kept, older pushes are moot. */
        clear() {
          inbox = [];
        },
        /** The next pushed entry, or REREAD when the poll interval passed, the signal fired or Redis reconnected. */
        async next(): Promise<Pushed | typeof REREAD> {
          if (inbox.length === 0) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              timer = setTimeout(resolve, pollIntervalMs);
            });
            wake = undefined;
            clearTimeout(timer);
          }
          return inbox.shift() ?? REREAD;
        },
        close() {
          emitter.off(key, deliver);
          signal?.removeEventListener('abort', onAbort);
          clearTimeout(timer);
        },
      };
    },
  };
};

type Notifications = ReturnType<typeof createNotifications>;

/**
 * A reader catches up with XRANGE, then takes each pushed entry straight from the notification
 * when it follows the last entry the reader saw (the script publishes the id it follows); any
 * gap (a lost message, a reconnect, an overflow, a poll tick) sends it back to XRANGE. So a
 * reply with N readers in a process costs one pub/sub message per event, not N reads.
 */
async function* follow(
  deps: { client: Redis; notifications: Notifications },
  target: {
    key: string;
    replyId: string;
    after: string | undefined;
    signal: AbortSignal | undefined;
    idleTimeoutMs: number;
  },
): AsyncGenerator<CursoredReplyEvent> {
  const { key, replyId, after, signal } = target;
  // A reader wakes at least every poll interval, so an idle one notices within one interval.
  let lastEventAt = Date.now();
  // The first page starts at `after` inclusively so that resuming right after the terminal
  // event ends at once instead of waiting forever for an event that will never come.
  let start = after ?? '-';
  // The last entry seen; '' = the stream was empty when read from its beginning.
  let lastId = after ?? '';
  let reread = true;
  const watcher = deps.notifications.watch(key, signal);
  try {
    while (!signal?.aborted) {
      if (Date.now() - lastEventAt > target.idleTimeoutMs) return;
      let batch: Entry[];
      if (reread) {
        watcher.clear();
        const entries = await deps.client.xrange(key, start, '+', 'COUNT', PAGE);
        batch = entries.map(([id, fields]) => ({ id, event: decode(fields) }));
        reread = entries.length === PAGE;
      } else {
        const item = await watcher.next();
        if (item === REREAD) {
          reread = true;
          continue;
        }
        if (lastId !== '' && compareIds(item.id, lastId) <= 0) continue;
        if (item.prevId !== lastId) {
          reread = true;
          continue;
        }
        batch = [item];
      }
      for (const { id, event } of batch) {
        start = `(${id}`;
        lastId = id;
        if (id === after) {
          if (event && isTerminal(event)) return;
          continue;
        }
        if (signal?.aborted) return;
        if (!event) continue;
        lastEventAt = Date.now();
        yield { cursor: id, replyId, event };
        if (isTerminal(event)) return;
      }
    }
  } finally {
    watcher.close();
  }
}

/**
 * One round trip per append, atomic: add the entry (bounded), refresh the TTL, and publish the
 * entry with the id it follows, so that readers that saw that id can take it from the message
 * without reading the stream. Nothing is added after a terminal event (it returns false): the
 * failure handler of a job that was given up can never give a reply a second end. With a fence
 * (ARGV[5], the run's number), nothing is added either once a later run of the reply appended
 * (its number is kept under KEYS[2]): a worker that lost its job to another, still streaming
 * until it notices, cannot mix its text into the new run's.
 */
const APPEND_LUA = `
if ARGV[5] ~= '' then
  local newest = tonumber(redis.call('GET', KEYS[2]) or '0')
  local mine = tonumber(ARGV[5])
  if mine < newest then return false end
  if mine > newest then redis.call('SET', KEYS[2], ARGV[5], 'EX', ARGV[2]) end
end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local prev = ''
if #last > 0 then
  prev = last[1][1]
  local kind = cjson.decode(last[1][2][2]).kind
  if kind == 'COMPLETED' or kind == 'FAILED' then return false end
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[4], KEYS[1] .. '\\n' .. prev .. '\\n' .. id .. '\\n' .. ARGV[3])
return id`;

/** One append: the keys and arguments of APPEND_LUA, by name (the script takes them in KEYS/ARGV order). */
interface AppendInput {
  readonly stream: string;
  readonly fenceKey: string;
  readonly maxLen: number;
  readonly ttlSeconds: number;
  /** The event's JSON. */
  readonly event: string;
  readonly channel: string;
  /** The appending run's number, or '' for an append without a fence. */
  readonly fence: number | '';
}

type AppendScript = (input: AppendInput) => Promise<string | null>;

/** The script as ioredis defines it: the two keys, then ARGV in order. */
type AppendCommand = (
  ...args: [
    stream: string,
    fenceKey: string,
    maxLen: number,
    ttlSeconds: number,
    event: string,
    channel: string,
    fence: number | '',
  ]
) => Promise<string | null>;

/**
 * Names a reply the conversation's latest, stored as `<user message seq>:<reply id>`, unless the
 * pointer names a later turn's reply: a reply recovered or taken over late never takes the
 * pointer back from a newer one.
 */
const MARK_LATEST_LUA = `
local current = redis.call('GET', KEYS[1])
if current then
  local seq = tonumber(string.match(current, '^(%d+):'))
  if seq and seq > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2], 'EX', ARGV[3])
return 1`;

/** The reply id a latest pointer names (written as `seq:replyId`). */
const latestReplyId = (value: string | null) => (value === null ? null : (/^\d+:(.+)$/.exec(value)?.[1] ?? value));

/**
 * ioredis sends EVALSHA and falls back to EVAL once when the server lacks the script (e.g. after
 * a flush). Scripts are defined when the adapter is created, before the client sends anything: with
 * auto-pipelining, a command defined after a pipeline of the same tick exists is missing from it
 * and ioredis throws outside any promise (ioredis issue #1931), which kills the process.
 */
const defineScript = <F extends (...args: never[]) => Promise<unknown>>(
  client: Redis,
  name: string,
  numberOfKeys: number,
  lua: string,
): F => {
  const named = client as Redis & Record<string, F | undefined>;
  if (!named[name]) client.defineCommand(name, { numberOfKeys, lua });
  const command = named[name] as F;
  return ((...args: Parameters<F>) => command.apply(client, args)) as F;
};

type MarkLatestScript = (latestKey: string, seq: number, replyId: string, ttlSeconds: number) => Promise<number>;

const openSubscriber = async (
  client: Redis,
  channel: string,
  notifications: Notifications,
  logger?: Logger,
): Promise<Redis> => {
  const connection = client.duplicate({ lazyConnect: true });
  connection.on('message', (_channel: string, message: string) => {
    const parsed = parsePushed(message);
    if (parsed) notifications.push(parsed.key, parsed.pushed);
  });
  connection.on('error', (error: Error) =>
    logger?.warn({ component: 'reply-stream', err: error }, 'reply-stream subscriber error'),
  );
  // Notifications published while the connection was down are gone: let every waiting reader re-read.
  connection.on('ready', notifications.notifyAll);
  try {
    // Fail fast at start like the main client; once running, ioredis reconnects and resubscribes.
    await withTimeout(
      'reply-stream subscribe',
      5000,
      connection.connect().then(() => connection.subscribe(channel)),
    );
    return connection;
  } catch (error) {
    connection.disconnect();
    throw new AppError(
      'SERVICE_UNAVAILABLE',
      `reply-stream subscriber could not subscribe: ${(error as Error).message}`,
      { cause: error },
    );
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
  const appendCommand = defineScript<AppendCommand>(client, 'agentRelayReplyAppend', 2, APPEND_LUA);
  const appendEvent: AppendScript = ({ stream, fenceKey, maxLen: max, ttlSeconds: ttl, event, channel, fence }) =>
    appendCommand(stream, fenceKey, max, ttl, event, channel, fence);
  // EVALSHA like the append: EVAL would send the script's text with every reply.
  const markLatestScript = defineScript<MarkLatestScript>(client, 'agentRelayReplyMarkLatest', 1, MARK_LATEST_LUA);
  let subscriber: Redis | undefined;
  return {
    name: 'reply-stream',
    async append(scope, event, fence) {
      const id = await appendEvent({
        stream: keys.reply(scope),
        fenceKey: keys.replyFence(scope),
        maxLen,
        ttlSeconds,
        event: JSON.stringify(event),
        channel: keys.notifyChannel(),
        fence: fence ?? '',
      });
      return id === null ? null : String(id);
    },
    async events(scope) {
      const entries = await client.xrange(keys.reply(scope), '-', '+');
      return entries.flatMap(([, fields]) => decode(fields) ?? []);
    },
    read(scope, { after, signal, idleTimeoutMs = Number.POSITIVE_INFINITY }) {
      const key = keys.reply(scope);
      if (after !== undefined && !isStreamCursor(after))
        throw new AppError('BAD_USER_INPUT', `invalid cursor: ${JSON.stringify(after)}`);
      return follow({ client, notifications }, { key, replyId: scope.replyId, after, signal, idleTimeoutMs });
    },
    async markLatest(scope, seq) {
      await markLatestScript(keys.latest(scope), seq, scope.replyId, ttlSeconds);
    },
    latestReply: async (scope) => latestReplyId(await client.get(keys.latest(scope))),
    exists: async (scope) => (await client.exists(keys.reply(scope))) === 1,
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
