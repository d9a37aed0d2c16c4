import { UnrecoverableError } from 'bullmq';
import type { ReplyJob } from '../../src/application/generate-reply.use-case';
import { processGenerateJob } from '../../src/jobs/generate.worker';
import { createRecordingLogger } from '../support/fakes/recording-logger';

const reply: ReplyJob = { scope: { userId: 'u1', conversationId: 'c1' }, replyId: 'r1', choice: 'WORKER', thinking: false, prompt: [], window: 32 };

const setup = (loaded: ReplyJob | null) => {
  const logger = createRecordingLogger();
  const generated: { job: ReplyJob; signal?: AbortSignal }[] = [];
  const processor = processGenerateJob({
    load: async (replyId) => (replyId === loaded?.replyId ? loaded : null),
    replies: { generate: async (job, signal) => (generated.push({ job, signal }), 'completed'), giveUp: async () => undefined },
    logger,
  });
  return { processor, generated, logger };
};

describe('generate job processor', () => {
  it('loads the reply by the job id and generates it with the job signal, logging the replyId and pid', async () => {
    const { processor, generated, logger } = setup(reply);
    const signal = new AbortController().signal;
    await expect(processor({ id: 'r1', data: { replyId: 'r1' }, attemptsStarted: 2 }, 'token', signal)).resolves.toBe('completed');
    expect(generated).toEqual([{ job: reply, signal }]);
    expect(logger.at('info')).toEqual([expect.objectContaining({ message: 'generating reply', fields: expect.objectContaining({ replyId: 'r1', pid: process.pid, start: 2 }) })]);
  });

  it('has nothing to do for a reply without a stored turn', async () => {
    const { processor, generated } = setup(null);
    await expect(processor({ id: 'r1', data: { replyId: 'r1' }, attemptsStarted: 1 })).resolves.toBe('no-turn');
    expect(generated).toEqual([]);
  });

  it('fails for good on data that is not the reply id of the job (a producer bug no retry fixes)', async () => {
    const { processor } = setup(reply);
    await expect(processor({ id: 'r1', data: { prompt: 'x' }, attemptsStarted: 1 })).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(processor({ id: 'r1', data: { replyId: 'r2' }, attemptsStarted: 1 })).rejects.toBeInstanceOf(UnrecoverableError);
  });
});
