import {
  isTerminal,
  streamedDraft,
  type ChatTurn,
  type ReplyEvent,
  type TurnPromptKey,
} from '../domain/chat/chat-types';
import type { ChatModel } from '../domain/ports/chat-model';
import type { ChatTurns } from '../domain/ports/chat-turns';
import type { ConversationReader } from '../domain/ports/conversation-reader';
import type { ReplyRef } from '../domain/ports/conversation-scope';
import type { HistoryCache } from '../domain/ports/history-cache';
import type { ReplyCancellations } from '../domain/ports/reply-cancellations';
import type { ReplyStream } from '../domain/ports/reply-stream';
import type { TokenCounter } from '../domain/ports/token-counter';
import type { Logger } from '../domain/ports/logger';
import type { Scheduler } from '../domain/ports/scheduler';
import { NOOP_TRACER, type Tracer } from '../domain/ports/tracer';
import type { AppendChatMessages } from './append-chat-messages.use-case';
import type { BuildReplyPrompt } from './build-reply-prompt';
import {
  CANCELLED_REPLY,
  endOf,
  failureOf,
  REPLY_CANCELLED,
  REPLY_LOST,
  STOPPED_EARLY,
  type ReplyFailure,
} from './reply-ends';
import { readTurnAndFirstReads, settle, type Early, type FirstReads } from './reply-first-reads';
import { createReplyStreamWriter, emptyDraft, streamModelReply, type Draft } from './reply-stream-writer';
import { retry } from './retry';
import { replyOf, storeReply, type Reply, type StoreReplyDeps } from './store-reply';

export interface GenerateReplyDeps {
  /** The turn a reply answers, by reply id: a job carries the id only. */
  turns: Pick<ChatTurns, 'get'>;
  /** Rebuilds the turn's prompt from what is committed, so any worker can generate any reply. */
  buildPrompt: BuildReplyPrompt;
  model: ChatModel;
  replies: ReplyStream;
  append: AppendChatMessages;
  /** Was the reply already stored (an earlier worker, an earlier writer attempt)? */
  conversations: Pick<ConversationReader, 'committedMessage'>;
  cache: HistoryCache;
  /** Counts the reply once, here, so no later send has to count it again. */
  counter: TokenCounter;
  logger: Logger;
  /** Waits between attempts of the database and Redis steps. */
  scheduler: Scheduler;
  /**
   * Attempts of each database or Redis step of a reply (storing it, each write to its stream)
   * before the reply is reported failed. The default (30, backoff doubling from 200 ms to a 5 s
   * cap: about two minutes) outlasts a database or Redis outage of a minute: the reply is whole in
   * memory, so waiting for the service beats storing it as a failure.
   */
  persistAttempts?: number;
  /** Told when a stored reply could not be pushed to the history cache (counted; the next prompt repairs the gap). */
  onCacheWriteFailed?: () => void;
  /** Told each time a reply is taken over and generated again (counted). */
  onRestarted?: () => void;
  /** Stop requests (cancelReply): a reply whose stop was requested before its run started is not generated. */
  cancellations?: Pick<ReplyCancellations, 'isRequested'>;
  /** A span per run (off: the no-op tracer). */
  tracer?: Tracer;
}

/**
 * How a worker runs a reply: its job's abort signal, the run's number (see Reply.fence), and the
 * job's copy of what the turn's first reads need, when the send put it in the job.
 */
export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly fence?: number;
  readonly turn?: TurnPromptKey;
}

/** What one run did with its reply ('no-turn': no turn has this reply id, so there is nothing to answer). */
export type ReplyOutcome = 'completed' | 'failed' | 'cancelled' | 'already-stored' | 'lost' | 'no-turn';

const RESTARTED_REASON = 'the process generating this reply stopped; it is generated again from the start';

const PERSIST_ATTEMPTS = 30;

/** 200 ms doubling to a 5 s cap, without jitter: one worker waits on its own reply, there is no herd to spread. */
const persistPolicy = (attempts = PERSIST_ATTEMPTS) =>
  ({ baseMs: 200, capMs: 5_000, jitter: 'none', maxAttempts: attempts }) as const;

const refOf = (job: Reply): ReplyRef => ({ ...job.scope, replyId: job.replyId });

/** Database (or Redis) work of a reply: retried, whatever failed, until the attempts are spent. */
const persistentlyFor =
  (deps: GenerateReplyDeps) =>
  <T>(work: () => Promise<T>) =>
    retry(work, { policy: persistPolicy(deps.persistAttempts), scheduler: deps.scheduler });

/** What a reply streamed, to store as partial: no usage is known for it. */
const unmeteredDraft = (events: readonly ReplyEvent[]) => ({
  ...streamedDraft(events),
  promptTokens: null,
  completionTokens: null,
});

/**
 * Generates one reply into its reply stream and stores it through the outbox as the assistant
 * message whose id is the reply id, whether or not anyone is listening. Every run ends with
 * exactly one stored message for the reply and one terminal event on its stream:
 * - a reply already stored (a worker died after storing it) is not generated again; its stream
 *   only gets its terminal event if it lacks one;
 * - a reply that already streamed events (its worker died mid-reply) gets a RESTARTED event,
 *   so clients discard the partial text, and is generated again from the start;
 * - a model failure stores what was produced (partial: true, even if empty) and ends FAILED
 *   with the model's code;
 * - a Redis outage only delays the stream's events (see createReplyStreamWriter); one longer
 *   than the retry budget ends the reply like a model failure, REPLY_STREAM_UNAVAILABLE.
 */
export const createGenerateReply = (deps: GenerateReplyDeps) => {
  const persistently = persistentlyFor(deps);
  const storeDeps: StoreReplyDeps = { ...deps, persistently };
  const settled = <T>(started: Early<T> | undefined, work: () => Promise<T>) => settle(started, work, persistently);
  /** Appends as the job's run (its fence): nothing lands once a later run of the reply appended. */
  const appendTo = (job: Reply, event: ReplyEvent) => deps.replies.append(refOf(job), event, job.fence);
  /**
   * The end event, after the reply committed (its turn REPLIED): retried like storing, since no
   * one else would append it. A Redis outage at that moment would otherwise leave the stream
   * without an end, and a subscriber that resumed on it waiting for good (no job is left to take
   * over, and recovery only looks at turns still awaiting their reply). Appending after an end, or
   * under a newer run's fence, is a no-op, so a retry never ends the stream twice.
   */
  const appendEnd = (job: Reply, event: ReplyEvent) => persistently(() => appendTo(job, event));

  /**
   * Looks at what an earlier run left: 'stored' when the reply is stored (its stream now ended),
   * 'fresh' or 'restart' when it must be generated.
   */
  const resume = async (turn: ChatTurn, reads: FirstReads): Promise<'stored' | 'fresh' | 'restart'> => {
    const job = replyOf(turn);
    const ref = refOf(job);
    // A REPLIED turn's message is committed, so this finds it. An AWAITING one had none when it
    // was read: the writer stores a reply only in the transaction that moves its turn to REPLIED.
    // A run that commits after that read is one that commits after any look-up would have: this
    // run's persist finds its message and ends the stream with it.
    // Two independent reads, in flight together: either order of the two is handled below (a
    // message committed after its stream ended is found by persist's own look-up).
    // Each retried on its own like storing: a Redis or database blip as a job starts must not
    // end its reply, nor make the other store answer again.
    const [stored, events] = await Promise.all([
      turn.status === 'AWAITING'
        ? null
        : persistently(() => deps.conversations.committedMessage(job.scope.conversationId, job.replyId)),
      settled(reads.events, () => deps.replies.events(ref)),
    ]);
    const last = events.at(-1);
    if (stored) {
      // A partial message of a stopped reply whose worker died before ending the stream: still CANCELLED.
      if (!last || !isTerminal(last)) {
        const stopped = await persistently(async () => (await deps.cancellations?.isRequested(job.replyId)) ?? false);
        await appendEnd(job, endOf(stored, stopped ? CANCELLED_REPLY : STOPPED_EARLY));
      }
      return 'stored';
    }
    if (last && isTerminal(last)) {
      // Ended by a give-up that could not store anything: store what it streamed now.
      await storeReply(storeDeps, job, unmeteredDraft(events), true);
      return 'stored';
    }
    return events.length > 0 ? 'restart' : 'fresh';
  };

  /**
   * Ends a reply the model failed or its user stopped: what it produced is stored as partial
   * (even if empty), then FAILED with the failure's code.
   */
  const fail = async (job: Reply, draft: Draft, error: unknown, signal?: AbortSignal) => {
    const failure = failureOf(error, signal);
    if (failure === CANCELLED_REPLY) deps.logger.info({ replyId: job.replyId }, "reply stopped at its user's request");
    else deps.logger.warn({ err: error, replyId: job.replyId, code: failure.code }, 'reply generation failed');
    const { theirs } = await storeReply(storeDeps, job, draft, true);
    // The stream ends with what history holds, whichever run stored it.
    await appendEnd(job, theirs ? endOf(theirs) : { kind: 'FAILED', ...failure, partialMessageId: job.replyId });
  };

  const complete = async (job: Reply, draft: Draft) => {
    const { saved, theirs } = await storeReply(storeDeps, job, draft, false);
    if (theirs) {
      await appendEnd(job, endOf(theirs));
      return;
    }
    await appendEnd(job, {
      kind: 'COMPLETED',
      message: {
        id: job.replyId,
        seq: saved.seq,
        content: draft.content,
        reasoning: draft.reasoning || null,
        model: deps.model.modelName(job.choice),
        promptTokens: draft.promptTokens,
        completionTokens: draft.completionTokens,
        createdAt: saved.createdAt.toISOString(),
      },
    });
  };

  const run = async (turn: ChatTurn, reads: FirstReads, { signal, fence }: RunOptions): Promise<ReplyOutcome> => {
    const { replyId } = turn;
    const found = await resume(turn, reads);
    if (found === 'stored') return 'already-stored';
    // Stopped while its job waited, or by a notification this worker got before it tracked the
    // job (the job is tracked before it runs): the flag is set before the notification is sent,
    // so one of the two always stops it.
    const { cancellations } = deps;
    if (await settled(reads.cancelled, async () => (await cancellations?.isRequested(replyId)) ?? false)) {
      await giveUp(replyId, CANCELLED_REPLY);
      return 'cancelled';
    }
    // The database may be briefly down as a job starts: wait for it as storing does, rather than give the reply up.
    const { prompt, window } = await settled(reads.prompt, () => deps.buildPrompt(turn));
    const job: Reply = { ...replyOf(turn), window, fence };
    // Every write of the run is retried through a Redis outage; only one longer than the retry
    // budget ends the reply (REPLY_STREAM_UNAVAILABLE), with what the model produced stored.
    const writer = createReplyStreamWriter(
      {
        replies: deps.replies,
        scheduler: deps.scheduler,
        policy: persistPolicy(deps.persistAttempts),
        logger: deps.logger,
      },
      { ref: refOf(job), fence, signal },
    );
    const draft = emptyDraft();
    let failure: { error: unknown } | undefined;
    // Before the first event, so a subscriber that asks for the latest reply finds this one while
    // the model thinks. Sent as the model is asked: the writer's appends wait for it, and so does
    // the reply's end below, so a model that fails at once cannot end the reply ahead of it.
    const marked = writer.markLatest(turn.userSeq);
    try {
      if (found === 'restart') {
        deps.logger.warn(
          { replyId, conversationId: turn.conversationId },
          'reply taken over from a worker that stopped: generating it again',
        );
        await writer.append({ kind: 'RESTARTED', reason: RESTARTED_REASON });
        deps.onRestarted?.();
      }
      await streamModelReply(deps.model, { ...job, prompt, signal }, { draft, writer });
      // A reply with no delta appended nothing that waited for it.
      await marked;
    } catch (error) {
      failure = { error };
    }
    // Another worker owns the reply now: whatever this run produced is not this run's to store.
    if (signal?.reason === REPLY_LOST) return 'lost';
    // Settled either way: a pointer that failed through its retries has failed the run already,
    // unless the model's own error came first, and the reply still ends.
    await marked.catch(() => undefined);
    if (failure) {
      await fail(job, draft, failure.error, signal);
      return signal?.reason === REPLY_CANCELLED ? 'cancelled' : 'failed';
    }
    await complete(job, draft);
    return 'completed';
  };

  /**
   * One run in a span that descends from the write of the turn it answers (the turn keeps that
   * traceparent), so a reply joins its message's trace; the reply's own write descends from it.
   */
  const generate = async (replyId: string, options: RunOptions = {}): Promise<ReplyOutcome> => {
    const found = await readTurnAndFirstReads(deps, options.turn, () => persistently(() => deps.turns.get(replyId)));
    if (!found) return 'no-turn';
    const { turn, reads } = found;
    const tracer = deps.tracer ?? NOOP_TRACER;
    const attributes = {
      'agent_relay.reply.id': replyId,
      'agent_relay.conversation.id': turn.conversationId,
      'agent_relay.model.choice': turn.model,
      'agent_relay.reply.run': options.fence,
    };
    return tracer.inSpan('generate reply', { parent: turn.traceparent, attributes }, async (span) => {
      const outcome = await run(span.traceparent ? { ...turn, traceparent: span.traceparent } : turn, reads, options);
      span.setAttributes({ 'agent_relay.reply.outcome': outcome });
      return outcome;
    });
  };

  /**
   * Ends a reply whose job failed for good (it stalled too often, or storing kept failing):
   * stores what its stream holds as a partial message if nothing is stored yet, then ends the
   * stream with `failure` (a no-op when it already ended), so every subscriber sees an end.
   */
  const giveUp = async (replyId: string, failure: ReplyFailure): Promise<void> => {
    const turn = await deps.turns.get(replyId);
    if (!turn) return;
    const job = replyOf(turn);
    const ref = refOf(job);
    let partialMessageId: string | null = null;
    try {
      const stored = await deps.conversations.committedMessage(job.scope.conversationId, job.replyId);
      if (stored) {
        await deps.replies.append(ref, endOf(stored, failure === CANCELLED_REPLY ? CANCELLED_REPLY : STOPPED_EARLY));
        return;
      }
      await storeReply(storeDeps, job, unmeteredDraft(await deps.replies.events(ref)), true);
      partialMessageId = job.replyId;
    } catch (error) {
      deps.logger.error(
        { err: error, replyId: job.replyId },
        'reply given up and its partial text could not be stored',
      );
    }
    await deps.replies.append(ref, { kind: 'FAILED', ...failure, partialMessageId });
  };

  return { generate, giveUp };
};

export type GenerateReply = ReturnType<typeof createGenerateReply>;
