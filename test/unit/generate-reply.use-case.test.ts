import { createGenerateReply, type GenerateReplyDeps } from '../../src/application/generate-reply.use-case';
import { CANCELLED_REPLY, INTERRUPTED_REPLY, REPLY_CANCELLED, REPLY_LOST } from '../../src/application/reply-ends';
import type { ChatMessagePayload } from '../../src/domain/chat-message-envelope';
import { streamedDraft, type ModelEvent, type ReplyEvent, type TurnPromptKey } from '../../src/domain/chat/chat-types';
import { ModelError } from '../../src/domain/chat/model-error';
import type { ChatModel } from '../../src/domain/ports/chat-model';
import { deferred, eventually } from '../support/eventually';
import { createInMemoryHistoryCache } from '../support/fakes/in-memory-history-cache';
import { createInMemoryReplyCancellations } from '../support/fakes/in-memory-reply-cancellations';
import { createInMemoryReplyStream } from '../support/fakes/in-memory-reply-stream';
import { createRecordingLogger } from '../support/fakes/recording-logger';
import { createFakeScheduler } from '../support/fakes/fake-scheduler';
import { aChatTurn, createReplyWriter as createWriter } from '../support/fakes/reply-writer';

const turn = aChatTurn({ replyId: 'reply-1', userId: 'u1', conversationId: 'c1', userSeq: 40 });
const scope = { userId: turn.userId, conversationId: turn.conversationId };
const job = turn.replyId;
const ref = { ...scope, replyId: turn.replyId };
const PROMPT = [{ role: 'user' as const, content: 'hi' }];
const token = (text: string): ReplyEvent => ({ kind: 'TOKEN', text });

/** A model that streams `tokens`, then fails with `failWith` if given; `hold` pauses it after the first token. */
const scriptedModel = (tokens: string[], options: { failWith?: Error; hold?: Promise<unknown> } = {}): ChatModel => ({
  async *stream({ signal }): AsyncIterable<ModelEvent> {
    for (const [index, text] of tokens.entries()) {
      yield { type: 'token', text };
      if (index === 0 && options.hold) {
        await options.hold;
        if (signal?.aborted) throw new ModelError('MODEL_STREAM_CUT', 'aborted');
      }
    }
    if (options.failWith) throw options.failWith;
  },
  modelName: () => 'test-model',
});

const setup = (
  model: ChatModel,
  writer = createWriter(),
  cancellations = createInMemoryReplyCancellations(),
  extra: Partial<GenerateReplyDeps> = {},
) => {
  writer.turns.add(turn);
  const replies = createInMemoryReplyStream();
  const cache = createInMemoryHistoryCache();
  const logger = createRecordingLogger();
  const prompts: string[] = [];
  // Writer retries wait on this clock, in no real time; `scheduler.sleeps` shows the waits.
  const scheduler = createFakeScheduler({ autoAdvance: true });
  const buildPrompt = async (asked: TurnPromptKey) => (prompts.push(asked.replyId), { prompt: PROMPT, window: 32 });
  const generator = createGenerateReply({
    turns: writer.turns,
    buildPrompt,
    model,
    replies,
    append: writer.append,
    conversations: writer,
    cache,
    counter: { count: () => 1 },
    logger,
    scheduler,
    persistAttempts: 2,
    cancellations,
    ...extra,
  });
  return { ...generator, replies, cache, writer, logger, prompts, scheduler, events: () => replies.stored(ref) };
};

const storedPayload = (content: string, partial: boolean): ChatMessagePayload => ({
  messageId: turn.replyId,
  role: 'assistant',
  content,
  reasoning: null,
  model: 'test-model',
  promptTokens: 1,
  completionTokens: 2,
  partial,
});

/** The reply as a writer committed it earlier (the look-up a retry or a restarted run makes). */
const storedReply = (content: string, partial: boolean, createdAt = new Date()) => ({
  messageId: turn.replyId,
  eventId: 'e1',
  seq: 7,
  createdAt,
  payload: storedPayload(content, partial),
});

describe('generate reply', () => {
  it('streams a reply, stores it once as the message with the reply id, and ends with COMPLETED', async () => {
    const { generate, events, writer } = setup(scriptedModel(['hel', 'lo']));
    await expect(generate(job)).resolves.toBe('completed');
    expect(writer.calls).toHaveLength(1);
    expect(writer.calls[0]).toMatchObject({
      completesTurn: 'reply-1',
      messages: [{ messageId: 'reply-1', role: 'assistant', content: 'hello', partial: false }],
    });
    await expect(writer.turns.get('reply-1')).resolves.toMatchObject({ status: 'REPLIED' });
    expect(events().at(-1)).toMatchObject({ kind: 'COMPLETED', message: { id: 'reply-1', seq: 41, content: 'hello' } });
  });

  it('retries the end event when its append fails after the commit (Redis cut), so the stream still ends', async () => {
    const { generate, events, replies, scheduler } = setup(scriptedModel(['hel', 'lo']));
    const append = replies.append.bind(replies);
    let refusals = 0;
    replies.append = async (at, event, fence) => {
      if (event.kind === 'COMPLETED' && refusals++ === 0) throw new Error('Reached the max retries per request limit');
      return append(at, event, fence);
    };
    await expect(generate(job)).resolves.toBe('completed');
    expect(refusals).toBe(2);
    expect(events().at(-1)).toMatchObject({ kind: 'COMPLETED', message: { id: 'reply-1', content: 'hello' } });
    expect(scheduler.sleeps).toEqual([200]);
  });

  describe('through a Redis outage (writes to the reply stream fail, then work again)', () => {
    /** Makes the stream's writes fail as ioredis fails a command it could not send: `failures` times, those matching `which`. */
    const refuse = (
      replies: ReturnType<typeof setup>['replies'],
      failures: number,
      which: 'append' | 'markLatest' | 'events',
    ) => {
      const original = { append: replies.append, markLatest: replies.markLatest, events: replies.events };
      let left = failures;
      const gate = () => {
        if (left-- > 0) throw new Error('Reached the max retries per request limit (which is 3)');
      };
      if (which === 'append') replies.append = async (at, event, fence) => (gate(), original.append(at, event, fence));
      if (which === 'markLatest') replies.markLatest = async (at, seq) => (gate(), original.markLatest(at, seq));
      if (which === 'events') replies.events = async (at) => (gate(), original.events(at));
    };

    it('a blip mid-reply only delays its deltas: the whole reply streams, is stored complete and ends COMPLETED', async () => {
      const { generate, events, writer, replies, scheduler } = setup(scriptedModel(['hel', 'lo', ' wor', 'ld']));
      refuse(replies, 1, 'append');
      await expect(generate(job)).resolves.toBe('completed');
      expect(streamedDraft(events()).content).toBe('hello world');
      expect(events().at(-1)).toMatchObject({ kind: 'COMPLETED', message: { content: 'hello world' } });
      expect(writer.committed.map((m) => [m.payload.content, m.payload.partial])).toEqual([['hello world', false]]);
      expect(scheduler.sleeps).toEqual([200]);
    });

    it('retries naming the reply the latest, then generates it', async () => {
      const { generate, events, replies, writer } = setup(scriptedModel(['hi']));
      refuse(replies, 1, 'markLatest');
      await expect(generate(job)).resolves.toBe('completed');
      await expect(replies.latestReply(scope)).resolves.toBe(turn.replyId);
      expect(events().map((e) => e.kind)).toEqual(['TOKEN', 'COMPLETED']);
      expect(writer.committed.map((m) => m.payload.partial)).toEqual([false]);
    });

    it('retries reading what an earlier run left before generating', async () => {
      const { generate, events, replies } = setup(scriptedModel(['hi']));
      refuse(replies, 1, 'events');
      await expect(generate(job)).resolves.toBe('completed');
      expect(events().map((e) => e.kind)).toEqual(['TOKEN', 'COMPLETED']);
    });

    it('an outage longer than the retry budget ends the reply with its own code, what the model produced stored', async () => {
      // persistAttempts is 2 here: the first delta's two attempts fail; Redis is back for the end.
      const { generate, events, writer, replies } = setup(scriptedModel(['par', 'tial']));
      refuse(replies, 2, 'append');
      await expect(generate(job)).resolves.toBe('failed');
      expect(writer.committed.map((m) => m.payload.partial)).toEqual([true]);
      expect(writer.committed[0]?.payload.content).toMatch(/^par/);
      expect(events()).toEqual([
        {
          kind: 'FAILED',
          code: 'REPLY_STREAM_UNAVAILABLE',
          message: expect.stringContaining('retry budget'),
          partialMessageId: 'reply-1',
        },
      ]);
    });
  });

  it('counts a reply stored but not pushed to the history cache, and still completes it', async () => {
    let cacheWriteFailures = 0;
    const { generate, events, cache, logger } = setup(scriptedModel(['hi']), undefined, undefined, {
      onCacheWriteFailed: () => (cacheWriteFailures += 1),
    });
    cache.push = () => Promise.reject(new Error('Reached the max retries per request limit (which is 3)'));
    await expect(generate(job)).resolves.toBe('completed');
    expect(cacheWriteFailures).toBe(1);
    expect(logger.at('warn').map((entry) => entry.message)).toContain('reply stored but not cached');
    expect(events().at(-1)).toMatchObject({ kind: 'COMPLETED' });
  });

  it("names its reply the latest of the conversation, unless a newer turn's reply already is", async () => {
    const first = setup(scriptedModel(['hi']));
    await first.generate(job);
    await expect(first.replies.latestReply(scope)).resolves.toBe(turn.replyId);

    const late = setup(scriptedModel(['hi']));
    await late.replies.markLatest({ ...scope, replyId: 'newer-reply' }, turn.userSeq + 2);
    await late.generate(job); // recovered or taken over after a newer send
    await expect(late.replies.latestReply(scope)).resolves.toBe('newer-reply');
  });

  it('asks the model while the latest pointer is being written, and appends its first token only after it', async () => {
    const pointer = deferred();
    const order: string[] = [];
    const model = scriptedModel(['hi']);
    const stream = model.stream.bind(model);
    model.stream = (input) => (order.push('model asked'), stream(input));
    const { generate, replies, events } = setup(model);
    const markLatest = replies.markLatest.bind(replies);
    replies.markLatest = async (at, seq) => {
      await pointer.promise;
      order.push('pointer written');
      return markLatest(at, seq);
    };
    const generated = generate(job);
    await eventually(() => expect(order).toEqual(['model asked']));
    expect(events()).toEqual([]);
    pointer.resolve();
    await expect(generated).resolves.toBe('completed');
    expect(order).toEqual(['model asked', 'pointer written']);
    expect(events().map((e) => e.kind)).toEqual(['TOKEN', 'COMPLETED']);
  });

  it('ends a reply whose model failed before its first token only after the latest pointer is written', async () => {
    const pointer = deferred();
    const order: string[] = [];
    const { generate, replies } = setup(scriptedModel([], { failWith: new ModelError('MODEL_REJECTED', 'no') }));
    const markLatest = replies.markLatest.bind(replies);
    replies.markLatest = async (at, seq) => (await pointer.promise, order.push('pointer written'), markLatest(at, seq));
    const append = replies.append.bind(replies);
    replies.append = async (at, event, fence) => (order.push(`append ${event.kind}`), append(at, event, fence));
    const generated = generate(job);
    // The model has failed by now (it throws at once); the reply's end waits for the pointer.
    for (let tick = 0; tick < 10; tick += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    pointer.resolve();
    await expect(generated).resolves.toBe('failed');
    expect(order).toEqual(['pointer written', 'append FAILED']);
    await expect(replies.latestReply(scope)).resolves.toBe(turn.replyId);
  });

  it("builds an awaiting turn's prompt alongside its run's first reads, and looks up no stored message for it", async () => {
    const read = deferred();
    const { generate, replies, writer, prompts } = setup(scriptedModel(['hi']));
    const committedMessage = jest.spyOn(writer, 'committedMessage');
    const events = replies.events.bind(replies);
    replies.events = async (at) => (await read.promise, events(at));
    const generated = generate(job);
    await eventually(() => expect(prompts).toEqual([turn.replyId]));
    read.resolve();
    await expect(generated).resolves.toBe('completed');
    // Its reply commits only with the turn's move to REPLIED, so an awaiting turn has none to find.
    expect(committedMessage).not.toHaveBeenCalled();
    expect(prompts).toEqual([turn.replyId]);
  });

  describe("with the send's copy of its turn in the job", () => {
    const copy = {
      replyId: turn.replyId,
      userId: turn.userId,
      conversationId: turn.conversationId,
      userSeq: 40,
      model: turn.model,
    };

    it("starts the first reads before the turn's own read answers, and keeps them when it agrees", async () => {
      const stored = deferred();
      const { generate, writer, prompts, replies, events } = setup(scriptedModel(['hi']));
      const get = writer.turns.get.bind(writer.turns);
      writer.turns.get = async (replyId) => (await stored.promise, get(replyId));
      const read = jest.spyOn(replies, 'events');
      const generated = generate(job, { turn: copy });
      await eventually(() => expect(prompts).toEqual([turn.replyId]));
      expect(read).toHaveBeenCalledTimes(1);
      stored.resolve();
      await expect(generated).resolves.toBe('completed');
      expect(prompts).toEqual([turn.replyId]);
      expect(read).toHaveBeenCalledTimes(1);
      expect(events().map((e) => e.kind)).toEqual(['TOKEN', 'COMPLETED']);
    });

    it('reads again for the stored turn when the copy disagrees with it', async () => {
      const asked: number[] = [];
      const buildPrompt = async (key: TurnPromptKey) => (asked.push(key.userSeq), { prompt: PROMPT, window: 32 });
      const { generate } = setup(scriptedModel(['hi']), createWriter(), undefined, { buildPrompt });
      await expect(generate(job, { turn: { ...copy, userSeq: 39 } })).resolves.toBe('completed');
      expect(asked).toEqual([39, 40]);
    });

    it('does not take a copy for a turn that no longer awaits its reply', async () => {
      const writer = createWriter();
      writer.committed.push(storedReply('stored text', false));
      const model = scriptedModel(['never']);
      const streamed = jest.spyOn(model, 'stream');
      const { generate, replies } = setup(model, writer);
      const read = jest.spyOn(replies, 'events');
      await expect(generate(job, { turn: copy })).resolves.toBe('already-stored');
      // The copy's early read is dropped and the stream read again for the stored turn.
      expect(read).toHaveBeenCalledTimes(2);
      expect(streamed).not.toHaveBeenCalled();
      expect(writer.calls).toHaveLength(0);
    });
  });

  it('has nothing to do for a reply id without a turn', async () => {
    const { generate, writer, replies } = setup(scriptedModel(['x']));
    await expect(generate('no-such-reply')).resolves.toBe('no-turn');
    expect(writer.calls).toEqual([]);
    await expect(replies.events({ ...scope, replyId: 'no-such-reply' })).resolves.toEqual([]);
  });

  describe('taking over a reply whose worker stopped', () => {
    it('restarts a reply that streamed part of its text: RESTARTED, then the whole reply, one stored message', async () => {
      const { generate, replies, events, writer } = setup(scriptedModel(['one', ' two', ' three']));
      await replies.append(ref, token('one'));
      await replies.append(ref, token(' tw'));
      await expect(generate(job)).resolves.toBe('completed');
      const kinds = events().map((e) => e.kind);
      expect(kinds.slice(0, 3)).toEqual(['TOKEN', 'TOKEN', 'RESTARTED']);
      expect(kinds.at(-1)).toBe('COMPLETED');
      expect(kinds.filter((kind) => kind === 'RESTARTED')).toHaveLength(1);
      expect(streamedDraft(events()).content).toBe('one two three');
      expect(writer.calls).toHaveLength(1);
      expect(writer.committed.map((m) => m.payload.content)).toEqual(['one two three']);
    });

    it('does not announce a restart for a reply that had streamed nothing', async () => {
      const { generate, events } = setup(scriptedModel(['hi']));
      await generate(job);
      expect(events().map((e) => e.kind)).toEqual(['TOKEN', 'COMPLETED']);
    });

    it('never stores a second message for a reply already stored: it only ends the stream from what was stored', async () => {
      const writer = createWriter();
      writer.committed.push(storedReply('stored text', false, new Date('2026-01-01T00:00:00Z')));
      const model = scriptedModel(['never']);
      const streamed = jest.spyOn(model, 'stream');
      const { generate, replies, events, prompts } = setup(model, writer);
      await replies.append(ref, token('stored'));
      await expect(generate(job)).resolves.toBe('already-stored');
      expect(streamed).not.toHaveBeenCalled();
      expect(prompts).toEqual([]);
      expect(writer.calls).toHaveLength(0);
      expect(events().at(-1)).toEqual({
        kind: 'COMPLETED',
        message: {
          id: turn.replyId,
          seq: 7,
          content: 'stored text',
          reasoning: null,
          model: 'test-model',
          promptTokens: 1,
          completionTokens: 2,
          createdAt: '2026-01-01T00:00:00.000Z',
        },
      });
      // A second run adds nothing at all.
      await generate(job);
      expect(events()).toHaveLength(2);
    });

    it('ends a stored partial message with FAILED naming it', async () => {
      const writer = createWriter();
      writer.committed.push(storedReply('half', true));
      const { generate, events } = setup(scriptedModel(['never']), writer);
      await generate(job);
      expect(events()).toEqual([expect.objectContaining({ kind: 'FAILED', partialMessageId: turn.replyId })]);
    });

    it('stores what a reply streamed when it was ended without a message (a give-up that could not store)', async () => {
      const { generate, replies, writer } = setup(scriptedModel(['never']));
      await replies.append(ref, token('first try'));
      await replies.append(ref, { kind: 'RESTARTED', reason: 'x' });
      await replies.append(ref, token('second'));
      await replies.append(ref, { kind: 'FAILED', ...INTERRUPTED_REPLY, partialMessageId: null });
      await expect(generate(job)).resolves.toBe('already-stored');
      expect(writer.committed.map((m) => [m.payload.content, m.payload.partial])).toEqual([['second', true]]);
    });

    it('fences an earlier run still streaming (it had lost its job): its text never mixes into the new run, and history and the end agree', async () => {
      const release = deferred();
      const writer = createWriter();
      const old = setup(scriptedModel(['old-1', 'old-2'], { hold: release.promise }), writer);
      const oldRun = old.generate(job, { fence: 1 });
      await eventually(() => expect(old.events()).toHaveLength(1));
      const next = createGenerateReply({
        turns: writer.turns,
        buildPrompt: async () => ({ prompt: PROMPT, window: 32 }),
        model: scriptedModel(['new']),
        replies: old.replies,
        append: writer.append,
        conversations: writer,
        cache: createInMemoryHistoryCache(),
        counter: { count: () => 1 },
        logger: createRecordingLogger(),
        scheduler: createFakeScheduler({ autoAdvance: true }),
      });
      await expect(next.generate(job, { fence: 2 })).resolves.toBe('completed');
      release.resolve();
      await oldRun; // finishes its model stream; its appends are refused, and it stores nothing over the new run's message
      expect(old.events().map((e) => e.kind)).toEqual(['TOKEN', 'RESTARTED', 'TOKEN', 'COMPLETED']);
      expect(streamedDraft(old.events()).content).toBe('new');
      expect(writer.committed.map((m) => m.payload.content)).toEqual(['new']);
    });

    it('ends with the stored message when another run stored the reply first, whatever this run streamed', async () => {
      const writer = createWriter();
      const store = writer.append;
      let raced = false;
      // Another run (a worker that had lost its job and finished anyway) commits first; this run's append fails.
      writer.append = async (input) => {
        if (raced) return store(input);
        raced = true;
        await store({ ...input, messages: [{ ...input.messages[0]!, content: 'theirs' }] });
        throw new Error('connection lost');
      };
      const { generate, events } = setup(scriptedModel(['mine']), writer);
      await expect(generate(job)).resolves.toBe('completed');
      expect(writer.committed.map((m) => m.payload.content)).toEqual(['theirs']);
      expect(events().at(-1)).toMatchObject({ kind: 'COMPLETED', message: { id: turn.replyId, content: 'theirs' } });
    });

    it('stops without storing or ending anything when its job was taken by another worker', async () => {
      const release = deferred();
      const { generate, events, writer } = setup(scriptedModel(['a', 'b'], { hold: release.promise }));
      const abort = new AbortController();
      const running = generate(job, { signal: abort.signal });
      await new Promise((resolve) => setImmediate(resolve));
      abort.abort(REPLY_LOST);
      release.resolve();
      await expect(running).resolves.toBe('lost');
      expect(writer.calls).toHaveLength(0);
      expect(events().map((e) => e.kind)).toEqual(['TOKEN']);
    });
  });

  describe('when the model fails', () => {
    it('stores exactly one partial message with the text so far and ends FAILED with the model code', async () => {
      const { generate, events, writer } = setup(
        scriptedModel(['par', 'tial'], { failWith: new ModelError('MODEL_UNAVAILABLE', 'provider said 503') }),
      );
      await expect(generate(job)).resolves.toBe('failed');
      expect(writer.committed.map((m) => [m.messageId, m.payload.content, m.payload.partial])).toEqual([
        ['reply-1', 'partial', true],
      ]);
      expect(events().at(-1)).toEqual({
        kind: 'FAILED',
        code: 'MODEL_UNAVAILABLE',
        message: 'provider said 503',
        partialMessageId: 'reply-1',
      });
    });

    it('stores an empty partial message when the model failed before any text', async () => {
      const { generate, events, writer } = setup(
        scriptedModel([], { failWith: new ModelError('MODEL_REJECTED', 'bad request') }),
      );
      await generate(job);
      expect(writer.committed.map((m) => [m.payload.content, m.payload.partial])).toEqual([['', true]]);
      expect(events()).toEqual([
        { kind: 'FAILED', code: 'MODEL_REJECTED', message: 'bad request', partialMessageId: 'reply-1' },
      ]);
    });

    it('is cut by a graceful stop: stored as partial, MODEL_STREAM_CUT', async () => {
      const release = deferred();
      const { generate, events, writer } = setup(scriptedModel(['a', 'b'], { hold: release.promise }));
      const abort = new AbortController();
      const running = generate(job, { signal: abort.signal });
      await new Promise((resolve) => setImmediate(resolve));
      abort.abort('shutting-down');
      release.resolve();
      await expect(running).resolves.toBe('failed');
      expect(writer.committed.map((m) => [m.payload.content, m.payload.partial])).toEqual([['a', true]]);
      expect(events().at(-1)).toMatchObject({ kind: 'FAILED', code: 'MODEL_STREAM_CUT' });
    });
  });

  describe('when its user stops it (cancelReply)', () => {
    it('aborts the model, stores the text so far as one partial message and ends FAILED CANCELLED', async () => {
      const release = deferred();
      let modelSignal: AbortSignal | undefined;
      const model = scriptedModel(['so', ' far', ' never'], { hold: release.promise });
      const { generate, events, writer } = setup({
        ...model,
        stream: (input) => ((modelSignal = input.signal), model.stream(input)),
      });
      const abort = new AbortController();
      const running = generate(job, { signal: abort.signal });
      await eventually(() => expect(events()).toEqual([token('so')]));
      abort.abort(REPLY_CANCELLED);
      release.resolve();
      await expect(running).resolves.toBe('cancelled');
      expect(modelSignal?.aborted).toBe(true);
      expect(writer.committed.map((m) => [m.messageId, m.payload.content, m.payload.partial])).toEqual([
        ['reply-1', 'so', true],
      ]);
      await expect(writer.turns.get('reply-1')).resolves.toMatchObject({ status: 'REPLIED' });
      expect(events().at(-1)).toEqual({ kind: 'FAILED', ...CANCELLED_REPLY, partialMessageId: 'reply-1' });
    });

    it('does not call the model for a reply stopped before its run started: an empty partial message, FAILED CANCELLED', async () => {
      const cancellations = createInMemoryReplyCancellations();
      await cancellations.request(turn.replyId);
      const model = scriptedModel(['never']);
      const streamed = jest.spyOn(model, 'stream');
      const { generate, events, writer } = setup(model, createWriter(), cancellations);
      await expect(generate(job)).resolves.toBe('cancelled');
      // Its prompt may have been built alongside the stop's look-up; the model is never asked.
      expect(streamed).not.toHaveBeenCalled();
      expect(writer.committed.map((m) => [m.payload.content, m.payload.partial])).toEqual([['', true]]);
      expect(events()).toEqual([{ kind: 'FAILED', ...CANCELLED_REPLY, partialMessageId: 'reply-1' }]);
    });

    it('ends a stopped reply whose worker died after storing its partial message with CANCELLED, not INTERRUPTED', async () => {
      const cancellations = createInMemoryReplyCancellations();
      await cancellations.request(turn.replyId);
      const writer = createWriter();
      writer.committed.push(storedReply('so', true));
      const { generate, replies, events } = setup(scriptedModel(['never']), writer, cancellations);
      await replies.append(ref, token('so'));
      await expect(generate(job)).resolves.toBe('already-stored');
      expect(events().at(-1)).toEqual({ kind: 'FAILED', ...CANCELLED_REPLY, partialMessageId: 'reply-1' });
    });

    it('keeps a reply stored before the stop: nothing is generated or stored again', async () => {
      const cancellations = createInMemoryReplyCancellations();
      await cancellations.request(turn.replyId);
      const writer = createWriter();
      writer.committed.push(storedReply('done', false));
      const { generate, events } = setup(scriptedModel(['never']), writer, cancellations);
      await expect(generate(job)).resolves.toBe('already-stored');
      expect(writer.calls).toHaveLength(0);
      expect(events()).toEqual([expect.objectContaining({ kind: 'COMPLETED' })]);
    });
  });

  describe('giving a reply up (its job failed for good)', () => {
    it('stores the text streamed since the last restart as partial and ends FAILED with the reason', async () => {
      const { giveUp, replies, events, writer } = setup(scriptedModel([]));
      await replies.append(ref, token('lost'));
      await replies.append(ref, { kind: 'RESTARTED', reason: 'x' });
      await replies.append(ref, token('kept'));
      await giveUp(job, INTERRUPTED_REPLY);
      expect(writer.committed.map((m) => [m.payload.content, m.payload.partial])).toEqual([['kept', true]]);
      expect(events().at(-1)).toEqual({ kind: 'FAILED', ...INTERRUPTED_REPLY, partialMessageId: 'reply-1' });
    });

    it('still ends the stream when nothing can be stored, naming no message', async () => {
      const { giveUp, events, scheduler } = setup(scriptedModel([]), createWriter({ alwaysFails: true }));
      await giveUp(job, { code: 'INTERNAL', message: 'the reply could not be stored' });
      expect(events()).toEqual([
        { kind: 'FAILED', code: 'INTERNAL', message: 'the reply could not be stored', partialMessageId: null },
      ]);
      // Its two writer attempts, 200 ms apart (the first step of the writer's backoff).
      expect(scheduler.sleeps).toEqual([200]);
    });

    it('ends a reply that was stored after all from its stored message', async () => {
      const writer = createWriter();
      writer.committed.push(storedReply('done', false));
      const { giveUp, events } = setup(scriptedModel([]), writer);
      await giveUp(job, INTERRUPTED_REPLY);
      expect(writer.calls).toHaveLength(0);
      expect(events()).toEqual([expect.objectContaining({ kind: 'COMPLETED' })]);
    });
  });

  describe('storing through a writer that can lose its answer', () => {
    it('does not append again when the failed attempt had committed: the reply keeps its one seq', async () => {
      const { generate, events, writer, cache } = setup(
        scriptedModel(['hello']),
        createWriter({ losesFirstAnswer: true, commitsBeforeFailing: true }),
      );
      await cache.fill(scope, [{ seq: 40, role: 'user', content: 'hi' }], 32);
      await generate(job);
      expect(writer.calls).toHaveLength(1);
      expect(events().at(-1)).toMatchObject({ kind: 'COMPLETED', message: { id: 'reply-1', seq: 41 } });
      expect(cache.entries(scope)?.at(-1)).toMatchObject({ seq: 41, role: 'assistant', content: 'hello' });
    });

    it('appends again when the failed attempt had not committed', async () => {
      const { generate, events, writer, scheduler } = setup(
        scriptedModel(['hello']),
        createWriter({ losesFirstAnswer: true, commitsBeforeFailing: false }),
      );
      await generate(job);
      expect(scheduler.sleeps).toEqual([200]);
      expect(writer.calls).toHaveLength(2);
      expect(writer.committed.map((m) => m.seq)).toEqual([42]);
      expect(events().at(-1)).toMatchObject({ kind: 'COMPLETED', message: { seq: 42 } });
    });
  });
});
