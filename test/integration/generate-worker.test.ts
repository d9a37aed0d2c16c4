import { Queue, Worker } from 'bullmq';
import { Registry } from 'prom-client';
import { randomUUID } from 'node:crypto';
import { createGenerateReply } from '../../src/application/generate-reply.use-case';
import { CANCELLED_REPLY, INTERRUPTED_REPLY } from '../../src/application/reply-ends';
import { createRecoverAwaitingReplies } from '../../src/application/recover-awaiting-replies.use-case';
import { systemClock } from '../../src/domain/ports/clock';
import { streamedDraft, type ChatTurn, type ModelEvent } from '../../src/domain/chat/chat-types';
import type { ChatModel } from '../../src/domain/ports/chat-model';
import { ModelError } from '../../src/domain/chat/model-error';
import type { AppConfig } from '../../src/config';
import { createLogger } from '../../src/infra/logger';
import { createChatMetrics } from '../../src/infra/metrics/chat-metrics';
import { createRedis } from '../../src/infra/redis/create-redis';
import { createRedisReplyCancellations } from '../../src/infra/redis/redis-reply-cancellations';
import { createRedisReplyStream } from '../../src/infra/redis/redis-reply-stream';
import { createGenerateQueue } from '../../src/jobs/generate-queue';
import { createGenerateWorker, processGenerateJob } from '../../src/jobs/generate.worker';
import { GENERATE_QUEUE } from '../../src/jobs/queues';
import { deferred, eventually } from '../support/eventually';
import { createInMemoryHistoryCache } from '../support/fakes/in-memory-history-cache';
import { createRecordingLogger } from '../support/fakes/recording-logger';
import { aChatTurn, createReplyWriter } from '../support/fakes/reply-writer';
import { testConfig } from '../support/test-config';
import { systemScheduler } from '../../src/infra/system-scheduler';

/** Short lock and stalled check, so a dead worker's job is taken over in about a second. */
const FAST: AppConfig['generate'] = {
  inApi: true,
  concurrency: 4,
  lockMs: 800,
  stalledIntervalMs: 300,
  maxStalls: 2,
  recoverAfterMs: 100,
  recoverIntervalMs: 100,
};

/** Streams `tokens`; with `holdAfterFirst`, waits on it after the first token (a reply in progress). */
const model = (tokens: string[], holdAfterFirst?: Promise<unknown>): ChatModel => ({
  async *stream(): AsyncIterable<ModelEvent> {
    for (const [index, text] of tokens.entries()) {
      yield { type: 'token', text };
      if (index === 0 && holdAfterFirst) await holdAfterFirst;
    }
  },
  modelName: () => 'test-model',
});

/** Streams one token, then waits until its signal aborts, and fails as a cut stream does. */
const untilAborted: ChatModel = {
  async *stream({ signal }): AsyncIterable<ModelEvent> {
    yield { type: 'token', text: 'one' };
    await new Promise((resolve) => signal?.addEventListener('abort', resolve, { once: true }));
    throw new ModelError('MODEL_STREAM_CUT', 'aborted');
  },
  modelName: () => 'test-model',
};

describe('generate worker on the real Redis (BullMQ stalled-job takeover)', () => {
  const config = testConfig();
  const logger = createLogger({ level: 'silent' });
  const redis = createRedis(config.redis, logger);
  const replies = createRedisReplyStream({
    client: redis.client(),
    prefix: config.redis.prefix,
    maxLen: 1000,
    ttlSeconds: 600,
  });
  const queue = createGenerateQueue({ connection: redis.workerConnection(), prefix: config.redis.prefix, logger });
  const stopping: (() => Promise<unknown>)[] = [];
  const forever = deferred();

  beforeAll(async () => {
    await redis.start();
    await queue.start();
  });
  afterEach(async () => {
    while (stopping.length > 0) await stopping.pop()!();
  });
  afterAll(async () => {
    forever.resolve();
    const raw = new Queue(GENERATE_QUEUE, { connection: redis.workerConnection(), prefix: config.redis.prefix });
    await raw.obliterate({ force: true });
    await raw.close();
    await queue.stop();
    await redis.stop();
  });

  type Writer = ReturnType<typeof createReplyWriter>;
  /** A turn recorded by `writer` (the shared store both workers see), and its reply's stream ref. */
  const newReply = (writer: Writer) => {
    const turn = aChatTurn({ replyId: randomUUID(), conversationId: randomUUID() });
    writer.turns.add(turn);
    return { turn, ref: { userId: turn.userId, conversationId: turn.conversationId, replyId: turn.replyId } };
  };
  /** A worker whose model streams one token and then waits to be aborted, running the reply: resolves once the token is in the stream. */
  const startStreaming = async (
    writer: Writer,
    replyId: string,
    ref: { userId: string; conversationId: string; replyId: string },
  ) => {
    const worker = createGenerateWorker({
      connection: redis.workerConnection(),
      prefix: config.redis.prefix,
      config: FAST,
      replies: generatorFor(untilAborted, writer),
      drainMs: 100,
      logger,
    });
    await worker.start();
    stopping.push(() => worker.stop());
    await queue.enqueue({ replyId });
    await eventually(async () => expect(await replies.events(ref)).toHaveLength(1));
  };
  const cancellations = () =>
    createRedisReplyCancellations({ client: redis.client(), prefix: config.redis.prefix, ttlSeconds: 600 });
  const generatorFor = (chatModel: ChatModel, writer: Writer, stops = cancellations()) =>
    createGenerateReply({
      cancellations: stops,
      turns: writer.turns,
      buildPrompt: async () => ({ prompt: [{ role: 'user', content: 'hi' }], window: 32 }),
      model: chatModel,
      replies,
      append: writer.append,
      conversations: writer,
      cache: createInMemoryHistoryCache(),
      counter: { count: () => 1 },
      logger,
      scheduler: systemScheduler,
      persistAttempts: 2,
    });

  /** A worker process that dies mid-reply: it streamed one token, then its connections drop and its lock is never renewed. */
  const startDoomedWorker = async (turn: ChatTurn, writer: Writer) => {
    const doomed = new Worker(
      GENERATE_QUEUE,
      processGenerateJob({ replies: generatorFor(model(['one', ' two'], forever.promise), writer), logger }),
      {
        connection: redis.workerConnection(),
        prefix: config.redis.prefix,
        lockDuration: FAST.lockMs,
        stalledInterval: FAST.stalledIntervalMs,
        maxStalledCount: FAST.maxStalls,
      },
    );
    await queue.enqueue({ replyId: turn.replyId });
    await eventually(async () =>
      expect(
        await replies.events({ userId: turn.userId, conversationId: turn.conversationId, replyId: turn.replyId }),
      ).toHaveLength(1),
    );
    await doomed.close(true);
  };

  const startSurvivor = async (
    writer: Writer,
    overrides: Partial<AppConfig['generate']> = {},
    options: { recovers?: boolean } = {},
  ) => {
    const survivorLogger = createRecordingLogger();
    const recover = createRecoverAwaitingReplies({
      turns: writer.turns,
      requeue: (replyId) => queue.requeue({ replyId }),
      clock: systemClock,
      graceMs: FAST.recoverAfterMs,
      batch: 10,
      logger: survivorLogger,
    });
    const metrics = createChatMetrics(new Registry());
    const survivor = createGenerateWorker({
      metrics,
      connection: redis.workerConnection(),
      prefix: config.redis.prefix,
      config: { ...FAST, ...overrides },
      replies: generatorFor(model(['one', ' two', ' three']), writer),
      recover: options.recovers ? recover : undefined,
      drainMs: 1000,
      logger: survivorLogger,
    });
    await survivor.start();
    stopping.push(() => survivor.stop());
    return Object.assign(survivorLogger, { metrics });
  };

  it('hands the job of a worker that died mid-reply to another, which restarts the reply and stores it once', async () => {
    const writer = createReplyWriter();
    const { turn, ref } = newReply(writer);
    await startDoomedWorker(turn, writer);
    const killedAt = Date.now();
    const survivorLog = await startSurvivor(writer);

    const events = await eventually(async () => {
      const seen = await replies.events(ref);
      expect(seen.at(-1)?.kind).toBe('COMPLETED');
      return seen;
    });
    const tookOverMs = Date.now() - killedAt;
    expect(events[0]).toEqual({ kind: 'TOKEN', text: 'one' });
    expect(events[1]?.kind).toBe('RESTARTED');
    expect(streamedDraft(events).content).toBe('one two three');
    expect(writer.committed.map((m) => [m.messageId, m.payload.content, m.payload.partial])).toEqual([
      [turn.replyId, 'one two three', false],
    ]);
    await expect(writer.turns.get(turn.replyId)).resolves.toMatchObject({ status: 'REPLIED' });
    expect(survivorLog.at('info').find((e) => e.message === 'generating reply')?.fields).toMatchObject({
      replyId: turn.replyId,
      pid: process.pid,
      start: 2,
    });
    // Lock (800 ms) + at most two stalled checks (300 ms) + the rerun, with slack for a busy machine.
    expect(tookOverMs).toBeLessThan(5_000);
  }, 20_000);

  it('gives a reply up once its job stalled more than GENERATE_MAX_STALLS times: partial stored, FAILED INTERRUPTED', async () => {
    const writer = createReplyWriter();
    const { turn, ref } = newReply(writer);
    await startDoomedWorker(turn, writer);
    const { metrics } = await startSurvivor(writer, { maxStalls: 0 });

    await eventually(async () =>
      expect((await replies.events(ref)).at(-1)).toEqual({
        kind: 'FAILED',
        ...INTERRUPTED_REPLY,
        partialMessageId: turn.replyId,
      }),
    );
    expect((await metrics.repliesGivenUp.get()).values).toEqual([
      expect.objectContaining({ value: 1, labels: { code: 'INTERRUPTED' } }),
    ]);
    expect(writer.committed.map((m) => [m.payload.content, m.payload.partial])).toEqual([['one', true]]);
  }, 20_000);

  it('ends a reply whose message cannot be stored with FAILED INTERNAL (the failed handler), so its subscribers see an end', async () => {
    const writer = createReplyWriter({ alwaysFails: true });
    const { turn, ref } = newReply(writer);
    await startSurvivor(writer);
    await queue.enqueue({ replyId: turn.replyId });
    await eventually(async () =>
      expect((await replies.events(ref)).at(-1)).toEqual({
        kind: 'FAILED',
        code: 'INTERNAL',
        message: 'the reply could not be stored',
        partialMessageId: null,
      }),
    );
  }, 20_000);

  it('recovers a turn left AWAITING without a job (the enqueue was lost): the reply is generated and stored once', async () => {
    const writer = createReplyWriter();
    const turn = aChatTurn({
      replyId: randomUUID(),
      conversationId: randomUUID(),
      createdAt: new Date(Date.now() - 60_000),
    });
    writer.turns.add(turn);
    const survivorLog = await startSurvivor(writer, {}, { recovers: true });
    const ref = { userId: turn.userId, conversationId: turn.conversationId, replyId: turn.replyId };
    await eventually(async () => expect((await replies.events(ref)).at(-1)?.kind).toBe('COMPLETED'));
    await expect(writer.turns.get(turn.replyId)).resolves.toMatchObject({ status: 'REPLIED' });
    expect(writer.committed).toHaveLength(1);
    expect(survivorLog.at('warn').filter((e) => e.message?.startsWith('reply still awaited'))).toHaveLength(1);
  }, 20_000);

  it('on a graceful stop, gives running replies drainMs to finish, then cuts them: stored as partial, FAILED MODEL_STREAM_CUT', async () => {
    const writer = createReplyWriter();
    const { turn, ref } = newReply(writer);
    const drainMs = 400;
    const worker = createGenerateWorker({
      connection: redis.workerConnection(),
      prefix: config.redis.prefix,
      config: FAST,
      replies: generatorFor(untilAborted, writer),
      drainMs,
      logger,
    });
    await worker.start();
    await queue.enqueue({ replyId: turn.replyId });
    await eventually(async () => expect(await replies.events(ref)).toHaveLength(1));
    const stopping = Date.now();
    await worker.stop();
    expect(Date.now() - stopping).toBeGreaterThanOrEqual(drainMs - 5);
    expect((await replies.events(ref)).at(-1)).toMatchObject({
      kind: 'FAILED',
      code: 'MODEL_STREAM_CUT',
      partialMessageId: turn.replyId,
    });
    expect(writer.committed.map((m) => [m.payload.content, m.payload.partial])).toEqual([['one', true]]);
    await expect(writer.turns.get(turn.replyId)).resolves.toMatchObject({ status: 'REPLIED' });
  }, 20_000);

  it("makes a worker that lost its job's lock stop the reply without storing anything; the job is taken over and restarted", async () => {
    const writer = createReplyWriter();
    const { turn, ref } = newReply(writer);
    await startStreaming(writer, turn.replyId, ref);
    // As if this worker had stalled past its lock: the lock is gone when it next renews it.
    await redis.client().del(`${config.redis.prefix}:${GENERATE_QUEUE}:${turn.replyId}:lock`);
    await eventually(async () =>
      expect((await replies.events(ref)).map((e) => e.kind)).toEqual(['TOKEN', 'RESTARTED', 'TOKEN']),
    );
    // The first run stopped without storing a partial message or ending the stream.
    expect(writer.calls).toHaveLength(0);
  }, 20_000);

  it('adds one job per reply id, and adds a finished one again only through requeue', async () => {
    const writer = createReplyWriter();
    const { turn: job } = newReply(writer);
    await startSurvivor(writer);
    await queue.enqueue({ replyId: job.replyId });
    await queue.enqueue({ replyId: job.replyId });
    await eventually(() => expect(writer.calls).toHaveLength(1));
    const raw = new Queue(GENERATE_QUEUE, { connection: redis.workerConnection(), prefix: config.redis.prefix });
    stopping.push(() => raw.close());
    await eventually(async () => expect(await raw.getJobState(job.replyId)).toBe('completed'));

    await queue.enqueue({ replyId: job.replyId });
    await expect(queue.requeue({ replyId: job.replyId })).resolves.toBe(true);
    // The second run finds the reply stored: no second message.
    await eventually(async () => expect(await raw.getJobState(job.replyId)).toBe('completed'));
    expect(writer.calls).toHaveLength(1);
  }, 20_000);

  describe('stop generating (cancelReply)', () => {
    it('remembers a request with the reply stream TTL and tells a repeat from the first', async () => {
      const stops = cancellations();
      const replyId = randomUUID();
      await expect(stops.isRequested(replyId)).resolves.toBe(false);
      await expect(stops.request(replyId)).resolves.toBe('requested');
      await expect(stops.request(replyId)).resolves.toBe('already');
      await expect(stops.isRequested(replyId)).resolves.toBe(true);
      const ttl = await redis.client().ttl(`${config.redis.prefix}:chat:cancel:${replyId}`);
      expect(ttl).toBeGreaterThan(590);
    });

    it('aborts the reply in whichever worker runs it when the stop is requested through another connection: partial stored, FAILED CANCELLED', async () => {
      const writer = createReplyWriter();
      const { turn, ref } = newReply(writer);
      // The worker's side listens on its own subscriber; the request comes from an instance that never subscribed (another process).
      const listening = cancellations();
      await listening.start();
      stopping.push(() => listening.stop());
      const worker = createGenerateWorker({
        connection: redis.workerConnection(),
        prefix: config.redis.prefix,
        config: FAST,
        replies: generatorFor(untilAborted, writer, listening),
        drainMs: 100,
        cancellations: listening,
        logger,
      });
      await worker.start();
      stopping.push(() => worker.stop());
      await queue.enqueue({ replyId: turn.replyId });
      await eventually(async () => expect(await replies.events(ref)).toHaveLength(1));
      await cancellations().request(turn.replyId);
      await eventually(async () =>
        expect((await replies.events(ref)).at(-1)).toEqual({
          kind: 'FAILED',
          ...CANCELLED_REPLY,
          partialMessageId: turn.replyId,
        }),
      );
      expect(writer.committed.map((m) => [m.payload.content, m.payload.partial])).toEqual([['one', true]]);
    }, 20_000);

    it('takes a job no worker started out of the queue, and leaves a running one to its worker', async () => {
      const writer = createReplyWriter();
      const waiting = newReply(writer).turn;
      await queue.enqueue({ replyId: waiting.replyId });
      await expect(queue.dropUnstarted(waiting.replyId)).resolves.toBe(true);
      const raw = new Queue(GENERATE_QUEUE, { connection: redis.workerConnection(), prefix: config.redis.prefix });
      stopping.push(() => raw.close());
      await expect(raw.getJobState(waiting.replyId)).resolves.toBe('unknown');
      // Never queued (its enqueue was lost): no worker will run it either.
      await expect(queue.dropUnstarted(randomUUID())).resolves.toBe(true);

      const { turn, ref } = newReply(writer);
      await startStreaming(writer, turn.replyId, ref);
      await expect(queue.dropUnstarted(turn.replyId)).resolves.toBe(false);
      await expect(raw.getJobState(turn.replyId)).resolves.toBe('active');
    }, 20_000);
  });
});
