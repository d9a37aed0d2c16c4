import type { ReplyStream } from '../domain/chat/ports';
import type { Logger } from '../domain/ports/logger';
import type { GenerateReply, ReplyJob } from './generate-reply.use-case';

/**
 * Runs replies detached from the requests that started them and remembers them, so a
 * graceful stop can let them finish (each is persisted, partially if cut) instead of
 * dropping them with the process.
 */
export const createReplyRunner = (deps: { generate: GenerateReply; replies: ReplyStream; logger: Logger; drainMs: number }) => {
  const inFlight = new Map<string, { done: Promise<void>; abort: AbortController }>();
  let accepting = true;

  const run = async (job: ReplyJob, abort: AbortController) => {
    try {
      await deps.generate(job, abort.signal);
    } catch (error) {
      // Persisting failed even after retries: say so on the stream rather than leave subscribers waiting.
      deps.logger.error({ err: error, replyId: job.replyId }, 'reply could not be completed');
      await deps.replies
        .append({ ...job.scope, replyId: job.replyId }, { kind: 'FAILED', code: 'INTERNAL', message: 'the reply could not be stored', partialMessageId: null })
        .catch(() => undefined);
    } finally {
      inFlight.delete(job.replyId);
    }
  };

  return {
    name: 'reply-runner',
    start: async () => {
      accepting = true;
    },
    startReply(job: ReplyJob) {
      if (!accepting) throw new Error('shutting down: not starting new replies');
      const abort = new AbortController();
      inFlight.set(job.replyId, { done: run(job, abort), abort });
    },
    /** Waits up to drainMs for running replies, then cuts the rest (they are stored as partial). */
    async stop() {
      accepting = false;
      const pending = [...inFlight.values()];
      const timer = setTimeout(() => pending.forEach((p) => p.abort.abort()), deps.drainMs);
      await Promise.all(pending.map((p) => p.done));
      clearTimeout(timer);
    },
    ready: async () => accepting,
  };
};
