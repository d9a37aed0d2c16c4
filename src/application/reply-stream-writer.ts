import type { ModelChoice, PromptMessage, ReplyEvent } from '../domain/chat/chat-types';
import type { ChatModel } from '../domain/ports/chat-model';
import type { ReplyRef } from '../domain/ports/conversation-scope';
import type { Logger } from '../domain/ports/logger';
import type { ReplyStream } from '../domain/ports/reply-stream';
import type { Scheduler } from '../domain/ports/scheduler';
import type { AttemptPolicy } from '../domain/retry-policy';
import { ReplyStreamUnavailableError } from './reply-ends';
import { createReplyDeltaWriter } from './reply-delta-writer';
import { retry } from './retry';

export interface ReplyStreamWriterDeps {
  readonly replies: Pick<ReplyStream, 'append' | 'markLatest'>;
  readonly scheduler: Scheduler;
  /** Attempts of each write, and the backoff between them: the budget a Redis outage may take. */
  readonly policy: AttemptPolicy;
  readonly logger: Logger;
}

/** One run of a reply: its stream, the run's fence, and its job's signal (an abort stops the retries). */
export interface StreamRun {
  readonly ref: ReplyRef;
  readonly fence?: number;
  readonly signal?: AbortSignal;
}

/**
 * One run's writes to its reply's stream, each retried through a Redis outage with the policy's
 * backoff, so a blip only delays events instead of ending the reply. Retrying an append keeps
 * the fence: once a newer run appended, this run's appends return null (success, nothing
 * written), and are not retried. A write that fails through the whole budget (or until the
 * run's signal aborts) throws ReplyStreamUnavailableError, with the last failure as its cause.
 */
export const createReplyStreamWriter = (deps: ReplyStreamWriterDeps, run: StreamRun) => {
  const retried = <T>(what: string, operation: () => Promise<T>) =>
    retry(operation, {
      policy: deps.policy,
      scheduler: deps.scheduler,
      signal: run.signal,
      // One line per outage and write, not per attempt.
      onRetry: ({ error, attempt }) => {
        if (attempt === 1)
          deps.logger.warn(
            { err: error, replyId: run.ref.replyId, write: what },
            'reply stream write failed: retrying',
          );
      },
    }).catch((error: unknown) => {
      throw new ReplyStreamUnavailableError(`reply ${run.ref.replyId}: ${what} failed through its retries`, {
        cause: error,
      });
    });
  // Every append waits for the run's markLatest, which is not awaited before the model is asked
  // (their round trips overlap), so the latest-reply pointer still leads the reply's first event.
  let marked: Promise<unknown> = Promise.resolve();
  const append = async (event: ReplyEvent) => {
    await marked;
    return retried(event.kind, () => deps.replies.append(run.ref, event, run.fence));
  };
  return {
    append,
    /** Points the conversation's latest reply at this one; the run's appends wait for it (and fail with it). */
    markLatest: (seq: number) => {
      marked = retried('markLatest', () => deps.replies.markLatest(run.ref, seq));
      // Awaited by the appends and by the run; a failure is theirs to report, not an unhandled rejection.
      marked.catch(() => undefined);
      return marked;
    },
    /**
     * A delta writer on the retried append: while one append waits out an outage, the model goes
     * on and its deltas queue up; once Redis is back they are appended in order (merged per run of
     * the same kind). Only a failure through the whole budget reaches the caller, from `push` or
     * `drain`.
     */
    deltas: () => createReplyDeltaWriter(append),
  };
};

export type ReplyStreamWriter = ReturnType<typeof createReplyStreamWriter>;

/** What a run accumulates from the model: the reply as it will be stored. */
export interface Draft {
  content: string;
  reasoning: string;
  promptTokens: number | null;
  completionTokens: number | null;
}

export const emptyDraft = (): Draft => ({ content: '', reasoning: '', promptTokens: null, completionTokens: null });

/** Streams the model's reply into the draft and, as deltas, onto the reply stream. */
export const streamModelReply = async (
  model: ChatModel,
  request: { choice: ModelChoice; thinking: boolean; prompt: readonly PromptMessage[]; signal?: AbortSignal },
  target: { draft: Draft; writer: ReplyStreamWriter },
) => {
  const { draft } = target;
  const deltas = target.writer.deltas();
  try {
    for await (const event of model.stream({
      choice: request.choice,
      messages: request.prompt,
      thinking: request.thinking,
      signal: request.signal,
    })) {
      if (event.type === 'token') {
        draft.content += event.text;
        deltas.push({ kind: 'TOKEN', text: event.text });
      } else if (event.type === 'reasoning') {
        draft.reasoning += event.text;
        deltas.push({ kind: 'REASONING', text: event.text });
      } else {
        draft.promptTokens = event.promptTokens;
        draft.completionTokens = event.completionTokens;
      }
    }
  } catch (error) {
    // Whatever was streamed reaches the stream before the FAILED event; the model's error wins.
    await deltas.drain().catch(() => undefined);
    throw error;
  }
  await deltas.drain();
};
