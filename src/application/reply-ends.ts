import type { ReplyEvent } from '../domain/chat/chat-types';
import { ModelError } from '../domain/chat/model-error';
import type { CommittedMessage } from '../domain/ports/conversation-reader';

/**
 * Abort reason meaning another worker owns the reply now (this one lost its job's lock): stop
 * without storing or ending anything, the new owner generates the reply again.
 */
export const REPLY_LOST = 'reply-lost';

/** Abort reason meaning the reply's user asked to stop it (cancelReply): store what was produced, end it CANCELLED. */
export const REPLY_CANCELLED = 'reply-cancelled';

/** A reply's failure as its FAILED event carries it. */
export interface ReplyFailure {
  readonly code: string;
  readonly message: string;
}

/** The end of a reply that kept losing its worker (BullMQ gave the job up after GENERATE_MAX_STALLS). */
export const INTERRUPTED_REPLY = {
  code: 'INTERRUPTED',
  message: 'the processes generating this reply kept stopping before it finished; the text so far is stored as partial',
} as const;

/** The end of a reply its user stopped (cancelReply). */
export const CANCELLED_REPLY = {
  code: 'CANCELLED',
  message: "the reply was stopped at its user's request; the text so far is stored as partial",
} as const;

/**
 * The end of a reply whose stream (Redis) stayed unreachable for longer than the retry budget:
 * shorter outages only delay its events (they are kept and appended once Redis is back).
 */
const STREAM_UNAVAILABLE_REPLY = {
  code: 'REPLY_STREAM_UNAVAILABLE',
  message: 'the reply stream stayed unreachable for longer than its retry budget; the text so far is stored as partial',
} as const;

/** Thrown when a reply's stream stayed unreachable through every attempt of the retry budget. */
export class ReplyStreamUnavailableError extends Error {
  override readonly name = 'ReplyStreamUnavailableError';
  readonly code = STREAM_UNAVAILABLE_REPLY.code;
}

export const STOPPED_EARLY: ReplyFailure = {
  code: INTERRUPTED_REPLY.code,
  message: 'the reply stopped before it finished; the text so far is stored as partial',
};

/**
 * The terminal event a stored message calls for: COMPLETED for a whole reply, FAILED for a
 * partial one (`partialEnd`: CANCELLED when its user stopped it, else INTERRUPTED).
 */
export const endOf = (stored: CommittedMessage, partialEnd: ReplyFailure = STOPPED_EARLY): ReplyEvent => {
  const { payload } = stored;
  if (payload.partial) return { kind: 'FAILED', ...partialEnd, partialMessageId: stored.messageId };
  return {
    kind: 'COMPLETED',
    message: {
      id: stored.messageId,
      seq: stored.seq,
      content: payload.content,
      reasoning: payload.reasoning,
      model: payload.model ?? '',
      promptTokens: payload.promptTokens,
      completionTokens: payload.completionTokens,
      createdAt: stored.createdAt.toISOString(),
    },
  };
};

/**
 * Why a run that threw ended: the user's stop, the model's own code, a cut (shutdown), the
 * stream's outage beyond its retry budget, or else an internal error.
 */
export const failureOf = (error: unknown, signal?: AbortSignal): ReplyFailure => {
  if (signal?.reason === REPLY_CANCELLED) return CANCELLED_REPLY;
  if (error instanceof ModelError) return { code: error.code, message: error.message };
  if (signal?.aborted) return { code: 'MODEL_STREAM_CUT', message: 'reply generation failed' };
  if (error instanceof ReplyStreamUnavailableError) return STREAM_UNAVAILABLE_REPLY;
  return { code: 'INTERNAL', message: 'reply generation failed' };
};
