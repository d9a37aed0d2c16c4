import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { CursoredReplyEvent, ReplyEvent } from '../../src/domain/chat/chat-types';
import { createRedisReplyStream } from '../../src/infra/redis/redis-reply-stream';
import { deferred, eventually } from '../support/eventually';
import { testConfig } from '../support/test-config';

const TTL_SECONDS = 600;
// Long enough that a test passing quickly proves readers were woken by pub/sub or abort, not by polling.
const NO_POLL_MS = 60_000;

const token = (text: string): ReplyEvent => ({ kind: 'TOKEN', text });
const COMPLETED: ReplyEvent = {
  kind: 'COMPLETED',
  message: {
    id: 'm1',
    seq: 2,
    content: 'abc',
    reasoning: null,
    model: 'test-model',
    promptTokens: 3,
    completionTokens: 3,
    createdAt: '2024-01-01T00:00:00.000Z',
  },
};
const FAILED: ReplyEvent = { kind: 'FAILED', code: 'MODEL_TIMEOUT', message: 'too slow', partialMessageId: null };

const collect = async (events: AsyncIterable<CursoredReplyEvent>, onEvent?: (event: CursoredReplyEvent) => void) => {
  const seen: CursoredReplyEvent[] = [];
  for await (const event of events) {
    seen.push(event);
    onEvent?.(event);
  }
  return seen;
};

describe('Redis reply stream', () => {
  const config = testConfig();
  const prefix = config.redis.prefix;
  const connectionName = `reply-stream-${prefix}`;
  const client = new Redis(config.redis.url, { connectionName, lazyConnect: true });
  const stream = createRedisReplyStream({
    client,
    prefix,
    maxLen: 1000,
    ttlSeconds: TTL_SECONDS,
    pollIntervalMs: NO_POLL_MS,
  });
  const newReply = () => ({ userId: randomUUID(), conversationId: randomUUID(), replyId: randomUUID() });
  const appendAll = async (scope: ReturnType<typeof newReply>, events: ReplyEvent[]) => {
    const ids: string[] = [];
    for (const event of events) {
      const id = await stream.append(scope, event);
      if (id === null) throw new Error(`append refused: ${event.kind}`);
      ids.push(id);
    }
    return ids;
  };
  const connections = async () => {
    const lines = String(await client.client('LIST'))
      .trim()
      .split('\n');
    return { total: lines.length, ours: lines.filter((line) => line.includes(` name=${connectionName} `)).length };
  };

  beforeAll(async () => {
    await client.connect();
    await stream.start();
  });
  afterAll(async () => {
    await stream.stop();
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  it('is a component that is ready only while its subscriber is connected', async () => {
    const other = createRedisReplyStream({ client, prefix, maxLen: 100, ttlSeconds: TTL_SECONDS });
    expect(other.name).toBe('reply-stream');
    await expect(other.ready()).resolves.toBe(false);
    await other.start();
    await expect(other.ready()).resolves.toBe(true);
    await other.stop();
    await expect(other.ready()).resolves.toBe(false);
  });

  it('gives a reader started before the appends every event in order, then ends after COMPLETED', async () => {
    const scope = newReply();
    const first = deferred();
    const reading = collect(stream.read(scope, {}), () => first.resolve());
    const ids = [await stream.append(scope, token('a'))];
    await first.promise;
    ids.push(...(await appendAll(scope, [token('b'), token('c'), COMPLETED])));
    const seen = await reading;
    expect(seen.map((e) => e.event)).toEqual([token('a'), token('b'), token('c'), COMPLETED]);
    expect(seen.map((e) => e.cursor)).toEqual(ids);
    expect(seen.every((e) => e.replyId === scope.replyId)).toBe(true);
  });

  it('replays every event to a reader that starts after the reply completed', async () => {
    const scope = newReply();
    await appendAll(scope, [token('a'), token('b'), FAILED]);
    const seen = await collect(stream.read(scope, {}));
    expect(seen.map((e) => e.event)).toEqual([token('a'), token('b'), FAILED]);
  });

  it('resumes after a cursor with exactly the later events, once', async () => {
    const scope = newReply();
    const ids = await appendAll(scope, [token('a'), token('b'), token('c')]);
    const reading = collect(stream.read(scope, { after: ids[1] }));
    await appendAll(scope, [token('d'), COMPLETED]);
    const seen = await reading;
    expect(seen.map((e) => e.event)).toEqual([token('c'), token('d'), COMPLETED]);
  });

  it('ends at once when resumed after the terminal event', async () => {
    const scope = newReply();
    const ids = await appendAll(scope, [token('a'), COMPLETED]);
    await expect(collect(stream.read(scope, { after: ids[1] }))).resolves.toEqual([]);
  });

  it('serves two hundred concurrent readers of one reply without a connection each', async () => {
    const scope = newReply();
    const before = await connections();
    let started = 0;
    const readings = Array.from({ length: 200 }, () =>
      collect(stream.read(scope, {}), (e) => {
        if (e.event.kind === 'TOKEN' && e.event.text === 'a') started += 1;
      }),
    );
    await stream.append(scope, token('a'));
    await eventually(() => expect(started).toBe(200));
    const during = await connections();
    await appendAll(scope, [token('b'), COMPLETED]);
    const results = await Promise.all(readings);
    for (const seen of results) expect(seen.map((e) => e.event)).toEqual([token('a'), token('b'), COMPLETED]);
    expect(Math.abs(during.ours - before.ours)).toBeLessThanOrEqual(2);
    // Other test files share this Redis, so the total only has to stay far below one per reader.
    expect(Math.abs(during.total - before.total)).toBeLessThan(50);
  });

  it('delivers appends to caught-up readers from the notification: one pub/sub message per event, not one read per reader', async () => {
    const scope = newReply();
    const xrange = jest.spyOn(client, 'xrange');
    try {
      let started = 0;
      const readings = Array.from({ length: 50 }, () =>
        collect(stream.read(scope, {}), (e) => {
          if (e.event.kind === 'TOKEN' && e.event.text === 't0') started += 1;
        }),
      );
      await stream.append(scope, token('t0'));
      await eventually(() => expect(started).toBe(50));
      const readsWhenCaughtUp = xrange.mock.calls.length;
      const tokens = Array.from({ length: 19 }, (_, i) => token(`t${i + 1}`));
      const ids = await appendAll(scope, [...tokens, COMPLETED]);
      const results = await Promise.all(readings);
      for (const seen of results) {
        expect(seen.map((e) => e.event)).toEqual([token('t0'), ...tokens, COMPLETED]);
        expect(seen.slice(1).map((e) => e.cursor)).toEqual(ids);
      }
      // 50 readers × 20 later events would be 1,000 reads if each reader re-read per event.
      expect(xrange.mock.calls.length - readsWhenCaughtUp).toBe(0);
    } finally {
      xrange.mockRestore();
    }
  });

  it('falls back to reading the stream when an entry reached it without a notification, and keeps order', async () => {
    const scope = newReply();
    const first = deferred();
    const reading = collect(stream.read(scope, {}), () => first.resolve());
    await stream.append(scope, token('a'));
    await first.promise;
    // Written behind the script's back: no pub/sub message, so the next pushed entry shows a gap.
    const key = `${prefix}:chat:reply:${scope.userId}:${scope.conversationId}:${scope.replyId}`;
    await client.xadd(key, '*', 'e', JSON.stringify(token('unannounced')));
    await appendAll(scope, [token('c'), COMPLETED]);
    const seen = await reading;
    expect(seen.map((e) => e.event)).toEqual([token('a'), token('unannounced'), token('c'), COMPLETED]);
  });

  it('keeps appending after Redis forgot the append script (SCRIPT FLUSH)', async () => {
    const scope = newReply();
    await stream.append(scope, token('a'));
    await client.script('FLUSH');
    await stream.append(scope, COMPLETED);
    const seen = await collect(stream.read(scope, {}));
    expect(seen.map((e) => e.event)).toEqual([token('a'), COMPLETED]);
  });

  it('appends on an auto-pipelining client in the same tick as other commands (the service client pipelines)', async () => {
    const pipelining = new Redis(config.redis.url, { enableAutoPipelining: true });
    try {
      const own = createRedisReplyStream({ client: pipelining, prefix, maxLen: 100, ttlSeconds: TTL_SECONDS });
      const scope = newReply();
      // Same tick: the first command opens an auto-pipeline before the first append is queued.
      const [, id] = await Promise.all([
        pipelining.get(`${prefix}:unrelated`),
        own.append(scope, token('a')),
        own.append(scope, COMPLETED),
      ]);
      expect(id).toMatch(/^\d+-\d+$/);
      const seen = await collect(stream.read(scope, {}));
      expect(seen.map((e) => e.event)).toEqual([token('a'), COMPLETED]);
    } finally {
      await pipelining.quit();
    }
  });

  it('ends a waiting reader promptly when its signal aborts', async () => {
    const scope = newReply();
    const controller = new AbortController();
    const first = deferred();
    const reading = collect(stream.read(scope, { signal: controller.signal }), () => first.resolve());
    await stream.append(scope, token('a'));
    await first.promise;
    const abortedAt = Date.now();
    controller.abort();
    await expect(reading).resolves.toHaveLength(1);
    expect(Date.now() - abortedAt).toBeLessThan(NO_POLL_MS / 10);
  });

  it('yields nothing for a signal that is already aborted', async () => {
    const scope = newReply();
    await stream.append(scope, token('a'));
    await expect(collect(stream.read(scope, { signal: AbortSignal.abort() }))).resolves.toEqual([]);
  });

  it('rejects an invalid cursor as bad user input, from the call itself', async () => {
    for (const after of ['abc', '1-', '-', '+', '(1-0', '1-0 ', '0x1-0']) {
      expect(() => stream.read(newReply(), { after })).toThrow(
        expect.objectContaining({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/invalid cursor/) }),
      );
    }
    // A caller iterating inside an async function sees the same error as a rejection.
    await expect((async () => collect(stream.read(newReply(), { after: 'nope' })))()).rejects.toThrow(/invalid cursor/);
  });

  it('rejects ids that could forge another key', () => {
    expect(() => stream.read({ ...newReply(), replyId: 'x:y' }, {})).toThrow(/replyId/);
  });

  it('keeps each reply stream bounded (MAXLEN ~) and expiring', async () => {
    const bounded = createRedisReplyStream({ client, prefix, maxLen: 10, ttlSeconds: TTL_SECONDS });
    const scope = newReply();
    await Promise.all(Array.from({ length: 300 }, (_, i) => bounded.append(scope, token(String(i)))));
    const key = `${prefix}:chat:reply:${scope.userId}:${scope.conversationId}:${scope.replyId}`;
    const [, nodeSize] = (await client.config('GET', 'stream-node-max-entries')) as [string, string];
    const length = await client.xlen(key);
    expect(length).toBeGreaterThanOrEqual(10);
    // Approximate trimming only drops whole macro nodes, so up to one node more may remain.
    expect(length).toBeLessThanOrEqual(10 + Number(nodeSize));
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(TTL_SECONDS * 1000);
  });

  it('reports the latest reply of a conversation, per user: the one answering the newest turn, whatever order they start in', async () => {
    const older = newReply();
    const newer = { ...older, replyId: randomUUID() };
    await expect(stream.latestReply(older)).resolves.toBeNull();
    await stream.markLatest(older, 1);
    await expect(stream.latestReply(older)).resolves.toBe(older.replyId);
    await stream.markLatest(newer, 3);
    await expect(stream.latestReply(older)).resolves.toBe(newer.replyId);
    // The older turn's reply, restarted or recovered late, must not take the pointer back.
    await stream.markLatest(older, 1);
    await appendAll(older, [token('b'), COMPLETED]);
    await expect(stream.latestReply(older)).resolves.toBe(newer.replyId);
    await expect(
      stream.latestReply({ userId: randomUUID(), conversationId: older.conversationId }),
    ).resolves.toBeNull();
    const pointer = `${prefix}:chat:latest:${older.userId}:${older.conversationId}`;
    expect(await client.pttl(pointer)).toBeGreaterThan(0);
    expect(await client.pttl(pointer)).toBeLessThanOrEqual(TTL_SECONDS * 1000);
  });

  it('reads a latest pointer written before it carried the turn (a plain reply id)', async () => {
    const scope = newReply();
    await client.set(`${prefix}:chat:latest:${scope.userId}:${scope.conversationId}`, scope.replyId);
    await expect(stream.latestReply(scope)).resolves.toBe(scope.replyId);
  });

  describe('after a terminal event', () => {
    it('adds nothing, whichever event comes: a reply has one end, and nothing after it', async () => {
      const scope = newReply();
      await appendAll(scope, [token('a'), COMPLETED]);
      await expect(stream.append(scope, FAILED)).resolves.toBeNull();
      await expect(stream.append(scope, token('late'))).resolves.toBeNull();
      await expect(stream.append(scope, { kind: 'RESTARTED', reason: 'again' })).resolves.toBeNull();
      expect((await collect(stream.read(scope, {}))).map((e) => e.event)).toEqual([token('a'), COMPLETED]);
    });
  });

  it('refuses appends from an earlier run once a later run appended (fenced), and takes unfenced ones', async () => {
    const scope = newReply();
    await expect(stream.append(scope, token('old'), 1)).resolves.not.toBeNull();
    await expect(stream.append(scope, { kind: 'RESTARTED', reason: 'taken over' }, 2)).resolves.not.toBeNull();
    await expect(stream.append(scope, token('late old'), 1)).resolves.toBeNull();
    await expect(stream.append(scope, token('new'), 2)).resolves.not.toBeNull();
    await expect(stream.append(scope, FAILED)).resolves.not.toBeNull();
    await expect(stream.events(scope)).resolves.toEqual([
      token('old'),
      { kind: 'RESTARTED', reason: 'taken over' },
      token('new'),
      FAILED,
    ]);
    const fence = `${prefix}:chat:reply-fence:${scope.userId}:${scope.conversationId}:${scope.replyId}`;
    expect(await client.get(fence)).toBe('2');
    expect(await client.pttl(fence)).toBeGreaterThan(0);
  });

  it("lists a reply's events so far without waiting (none for an unknown reply)", async () => {
    const scope = newReply();
    await expect(stream.events(scope)).resolves.toEqual([]);
    const restarted: ReplyEvent = { kind: 'RESTARTED', reason: 'worker lost' };
    await appendAll(scope, [token('a'), restarted, token('b')]);
    await expect(stream.events(scope)).resolves.toEqual([token('a'), restarted, token('b')]);
  });

  it('falls back to polling when no notification arrives (no subscriber)', async () => {
    const polling = createRedisReplyStream({
      client,
      prefix,
      maxLen: 1000,
      ttlSeconds: TTL_SECONDS,
      pollIntervalMs: 20,
    });
    const scope = newReply();
    const first = deferred();
    const reading = collect(polling.read(scope, {}), () => first.resolve());
    await stream.append(scope, token('a'));
    await first.promise;
    await appendAll(scope, [token('b'), COMPLETED]);
    await expect(reading.then((seen) => seen.map((e) => e.event))).resolves.toEqual([
      token('a'),
      token('b'),
      COMPLETED,
    ]);
  });
});
