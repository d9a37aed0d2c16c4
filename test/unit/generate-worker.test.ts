import { UnrecoverableError } from 'bullmq';
import { Registry } from 'prom-client';
import { createChatMetrics } from '../../src/infra/metrics/chat-metrics';
import { processGenerateJob } from '../../src/jobs/generate.worker';
import { createRecordingLogger } from '../support/fakes/recording-logger';

const setup = () => {
  const logger = createRecordingLogger();
  const generated: { replyId: string; signal?: AbortSignal; fence?: number; turn?: unknown }[] = [];
  const processor = processGenerateJob({
    replies: {
      generate: async (replyId, options) => (
        generated.push({ replyId, ...options }),
        replyId === 'r1' ? 'completed' : 'no-turn'
      ),
      giveUp: async () => undefined,
    },
    logger,
  });
  return { processor, generated, logger };
};

describe('generate job processor', () => {
  it("generates the reply of the job id with the job signal, fenced by the job's start count, logging the replyId and pid first", async () => {
    const { processor, generated, logger } = setup();
    const signal = new AbortController().signal;
    await expect(processor({ id: 'r1', data: { replyId: 'r1' }, attemptsStarted: 2 }, 'token', signal)).resolves.toBe(
      'completed',
    );
    expect(generated).toEqual([{ replyId: 'r1', signal, fence: 2 }]);
    expect(logger.at('info')).toEqual([
      expect.objectContaining({
        message: 'generating reply',
        fields: expect.objectContaining({ replyId: 'r1', pid: process.pid, start: 2 }),
      }),
    ]);
  });

  it("hands the send's copy of the turn on with the job, and drops a copy that is malformed or names another reply", async () => {
    const { processor, generated } = setup();
    const copy = { replyId: 'r1', userId: 'u1', conversationId: 'c1', userSeq: 3, model: 'WORKER' };
    await processor({ id: 'r1', data: { replyId: 'r1', turn: copy }, attemptsStarted: 1 });
    await processor({ id: 'r1', data: { replyId: 'r1', turn: { ...copy, userSeq: 'three' } }, attemptsStarted: 1 });
    await processor({ id: 'r1', data: { replyId: 'r1', turn: { ...copy, replyId: 'r2' } }, attemptsStarted: 1 });
    await processor({ id: 'r1', data: { replyId: 'r1', turn: { ...copy, model: 'GPT' } }, attemptsStarted: 1 });
    expect(generated.map((g) => 'turn' in g && g.turn)).toEqual([copy, undefined, undefined, undefined]);
  });

  it('declares the signal parameter, which BullMQ checks before it passes one', () => {
    expect(setup().processor.length).toBeGreaterThanOrEqual(3);
  });

  it('says so when the reply has no turn', async () => {
    const { processor, logger } = setup();
    await expect(processor({ id: 'r9', data: { replyId: 'r9' }, attemptsStarted: 1 })).resolves.toBe('no-turn');
    expect(logger.at('warn').map((e) => e.message)).toEqual([
      'generate job for a reply with no stored turn: nothing to do',
    ]);
  });

  it('counts a reply its run ended as cancelled', async () => {
    const metrics = createChatMetrics(new Registry());
    const processor = processGenerateJob({
      replies: { generate: async () => 'cancelled', giveUp: async () => undefined },
      logger: createRecordingLogger(),
      metrics,
    });
    await expect(processor({ id: 'r1', data: { replyId: 'r1' }, attemptsStarted: 1 })).resolves.toBe('cancelled');
    expect((await metrics.repliesCancelled.get()).values).toEqual([
      expect.objectContaining({ labels: { ended_by: 'worker' }, value: 1 }),
    ]);
  });

  it('fails for good on data that is not the reply id of the job (a producer bug no retry fixes)', async () => {
    const { processor, generated } = setup();
    await expect(processor({ id: 'r1', data: { prompt: 'x' }, attemptsStarted: 1 })).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
    await expect(processor({ id: 'r1', data: { replyId: 'r2' }, attemptsStarted: 1 })).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
    expect(generated).toEqual([]);
  });
});
