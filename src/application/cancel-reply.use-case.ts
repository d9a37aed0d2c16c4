import type { ChatTurns } from '../domain/ports/chat-turns';
import type { ReplyCancellations } from '../domain/ports/reply-cancellations';
import { AppError } from '../domain/errors';
import type { Logger } from '../domain/ports/logger';

export interface CancelReplyDeps {
  /** The database answers whether the reply exists, whose it is and whether it ended. */
  turns: Pick<ChatTurns, 'get'>;
  cancellations: ReplyCancellations;
  /**
   * Takes the reply's generate job out of the queue if no worker started it yet; true when no
   * worker will run it (removed, or not queued at all), false when one runs or ran it.
   */
  dropUnstarted: (replyId: string) => Promise<boolean>;
  /** Ends a reply no worker runs: what its stream holds is stored as partial, then FAILED CANCELLED. */
  endUnstarted: (replyId: string) => Promise<void>;
  logger: Logger;
}

export interface CancelReplyInput {
  readonly userId: string;
  readonly replyId: string;
}

/** The reply the request stops; its end arrives on the reply's stream. */
export interface CancelledReply {
  readonly replyId: string;
  readonly conversationId: string;
}

/**
 * Stops a reply at its user's request ("stop generating"), wherever it is generated:
 * - another user's reply, or an unknown one, is NOT_FOUND (the same answer, so ids cannot be probed);
 * - a reply that ended (its turn is REPLIED) is REPLY_FINISHED, unless its stop had been requested
 *   before: asking again is harmless and answers the same as the first time;
 * - otherwise the request is recorded (a flag every worker checks before it generates) and the
 *   worker running the reply is notified: it aborts the model request, stores the text so far as
 *   a partial message and ends the stream with FAILED CANCELLED. A reply whose job no worker has
 *   started is taken out of the queue and ended here.
 * A reply that finishes before the stop reaches its worker stays completed; the stream tells which.
 */
export const createCancelReply =
  (deps: CancelReplyDeps) =>
  async (input: CancelReplyInput): Promise<CancelledReply> => {
    const turn = await deps.turns.get(input.replyId);
    if (!turn || turn.userId !== input.userId) throw new AppError('NOT_FOUND', 'reply not found');
    const answer = { replyId: turn.replyId, conversationId: turn.conversationId };
    if (turn.status === 'REPLIED') {
      if (await deps.cancellations.isRequested(turn.replyId)) return answer;
      throw new AppError('REPLY_FINISHED', 'the reply already ended; there is nothing to stop');
    }
    const requested = await deps.cancellations.request(turn.replyId);
    // Asked again while the first request is still under way: nothing more to do.
    if (requested === 'already') return answer;
    if (await deps.dropUnstarted(turn.replyId)) {
      deps.logger.info({ replyId: turn.replyId }, 'reply stopped before any worker started it');
      await deps.endUnstarted(turn.replyId);
    }
    return answer;
  };

export type CancelReply = ReturnType<typeof createCancelReply>;
