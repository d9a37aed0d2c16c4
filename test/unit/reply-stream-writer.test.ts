import { ReplyStreamUnavailableError } from '../../src/application/reply-ends';
import { createReplyStreamWriter } from '../../src/application/reply-stream-writer';
import type { ReplyEvent } from '../../src/domain/chat/chat-types';
import type { AttemptPolicy } from '../../src/domain/retry-policy';
import { createFakeScheduler } from '../support/fakes/fake-scheduler';
import { createInMemoryReplyStream } from '../support/fakes/in-memory-reply-stream';
import { createRecordingLogger } from '../support/fakes/recording-logger';

const ref = { userId: 'u1', conversationId: 'c1', replyId: 'reply-1' };
const POLICY: AttemptPolicy = { baseMs: 200, capMs: 1_000, jitter: 'none', maxAttempts: 4 };

/** Lets queued promise callbacks run (the writer's flush, the retry's next step). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * An in-memory reply stream behind a switch: while `down`, every write fails as ioredis fails a
 * command it could not send (its per-request retries spent), and nothing is written.
 */
const setup = (policy: AttemptPolicy = POLICY, options: { signal?: AbortSignal; fence?: number } = {}) => {
  const stream = createInMemoryReplyStream();
  const scheduler = createFakeScheduler();
  const logger = createRecordingLogger();
  const redis = { down: false, appends: 0, marks: 0 };
  const refusal = () => new Error('Reached the max retries per request limit (which is 3)');
  const replies = {
    append: async (at: typeof ref, event: ReplyEvent, fence?: number) => {
      redis.appends += 1;
      if (redis.down) throw refusal();
      return stream.append(at, event, fence);
    },
    markLatest: async (at: typeof ref, seq: number) => {
      redis.marks += 1;
      if (redis.down) throw refusal();
      return stream.markLatest(at, seq);
    },
  };
  const writer = createReplyStreamWriter({ replies, scheduler, policy, logger }, { ref, ...options });
  return { writer, stream, scheduler, logger, redis };
};

describe('reply stream writer', () => {
  it('keeps the deltas that arrive while Redis is down and appends them, in order, once it is back', async () => {
    const { writer, stream, scheduler, redis, logger } = setup();
    const deltas = writer.deltas();
    redis.down = true;
    deltas.push({ kind: 'TOKEN', text: 'a' });
    await settle();
    // The model goes on while the first append waits out the outage: nothing is thrown at it.
    deltas.push({ kind: 'TOKEN', text: 'b' });
    deltas.push({ kind: 'REASONING', text: 'r' });
    deltas.push({ kind: 'TOKEN', text: 'c' });
    await scheduler.advance(200); // second attempt, still down
    expect(stream.stored(ref)).toEqual([]);
    redis.down = false;
    await scheduler.advance(400); // third attempt: Redis is back
    await deltas.drain();
    expect(stream.stored(ref)).toEqual([
      { kind: 'TOKEN', text: 'a' },
      { kind: 'TOKEN', text: 'b' },
      { kind: 'REASONING', text: 'r' },
      { kind: 'TOKEN', text: 'c' },
    ]);
    expect(scheduler.sleeps).toEqual([200, 400]);
    // One line for the outage, not one per attempt.
    expect(logger.at('warn')).toHaveLength(1);
  });

  it('gives up after the whole budget with its own error, from drain and from the next push', async () => {
    const { writer, scheduler, redis } = setup();
    const deltas = writer.deltas();
    redis.down = true;
    deltas.push({ kind: 'TOKEN', text: 'a' });
    const drained = deltas.drain();
    const outcome = drained.catch((error: unknown) => error);
    await scheduler.advance(200 + 400 + 800);
    const error = await outcome;
    expect(error).toBeInstanceOf(ReplyStreamUnavailableError);
    expect((error as ReplyStreamUnavailableError).code).toBe('REPLY_STREAM_UNAVAILABLE');
    expect((error as Error).cause).toEqual(new Error('Reached the max retries per request limit (which is 3)'));
    expect(redis.appends).toBe(4);
    expect(() => deltas.push({ kind: 'TOKEN', text: 'b' })).toThrow(ReplyStreamUnavailableError);
  });

  it('retries the latest pointer through an outage', async () => {
    const { writer, stream, scheduler, redis } = setup();
    redis.down = true;
    const marked = writer.markLatest(7);
    await settle();
    redis.down = false;
    await scheduler.advance(200);
    await marked;
    expect(redis.marks).toBe(2);
    await expect(stream.latestReply(ref)).resolves.toBe('reply-1');
  });

  it('holds every append until the latest pointer is written, so the pointer still leads the first event', async () => {
    const { writer, stream, scheduler, redis } = setup();
    redis.down = true;
    const marked = writer.markLatest(7);
    const deltas = writer.deltas();
    deltas.push({ kind: 'TOKEN', text: 'a' });
    await settle();
    expect(redis.appends).toBe(0);
    redis.down = false;
    await scheduler.advance(200);
    await marked;
    await deltas.drain();
    expect(redis.appends).toBe(1);
    expect(stream.stored(ref)).toEqual([{ kind: 'TOKEN', text: 'a' }]);
  });

  it('fails the appends with the latest pointer when it fails through the whole budget, appending nothing', async () => {
    const { writer, scheduler, redis } = setup();
    redis.down = true;
    const marked = writer.markLatest(7).catch((error: unknown) => error);
    const appended = writer.append({ kind: 'TOKEN', text: 'a' }).catch((error: unknown) => error);
    await scheduler.advance(200 + 400 + 800);
    expect(await marked).toBeInstanceOf(ReplyStreamUnavailableError);
    expect(await appended).toBe(await marked);
    expect(redis.appends).toBe(0);
  });

  it('keeps the fence: once a newer run appended, its appends are no-ops, not failures to retry', async () => {
    const { writer, stream, scheduler, redis } = setup(POLICY, { fence: 1 });
    await stream.append(ref, { kind: 'TOKEN', text: 'newer run' }, 2);
    await expect(writer.append({ kind: 'TOKEN', text: 'old run' })).resolves.toBeNull();
    expect(redis.appends).toBe(1);
    expect(scheduler.sleeps).toEqual([]);
    expect(stream.stored(ref)).toEqual([{ kind: 'TOKEN', text: 'newer run' }]);
  });

  it("stops retrying when the run's signal aborts (the reply was stopped or taken over)", async () => {
    const abort = new AbortController();
    const { writer, redis } = setup({ ...POLICY, maxAttempts: Infinity }, { signal: abort.signal });
    redis.down = true;
    const appended = writer.append({ kind: 'TOKEN', text: 'a' }).catch((error: unknown) => error);
    await settle();
    abort.abort('reply-cancelled');
    await expect(appended).resolves.toBeInstanceOf(ReplyStreamUnavailableError);
    expect(redis.appends).toBe(1);
  });
});
