import type { ChatTurns } from '../domain/ports/chat-turns';
import type { Clock } from '../domain/ports/clock';
import type { Logger } from '../domain/ports/logger';

export interface RecoverAwaitingRepliesDeps {
  turns: Pick<ChatTurns, 'awaiting'>;
  /** Adds the reply's generate job unless one is waiting or running; true when it added one. */
  requeue: (replyId: string) => Promise<boolean>;
  clock: Clock;
  /** Turns younger than this are left alone: their job is normally on its way or running. */
  graceMs: number;
  /** Turns looked at per sweep; the next sweep takes the rest. */
  batch: number;
  logger: Logger;
}

/**
 * One sweep of the database's answer to "which sends still await their reply": every turn still
 * AWAITING after the grace period gets its generate job again when it has none (Redis was down at
 * the send, the enqueue was lost, the job was removed or failed for good without storing
 * anything). The job id is the reply id, so sweeps in several processes at once add one job, and
 * a job that finds the reply stored only makes sure its stream ended. Returns the jobs added.
 */
export const createRecoverAwaitingReplies = (deps: RecoverAwaitingRepliesDeps) => async (): Promise<number> => {
  const turns = await deps.turns.awaiting({
    createdBefore: new Date(deps.clock.now().getTime() - deps.graceMs),
    limit: deps.batch,
  });
  let added = 0;
  for (const turn of turns) {
    try {
      if (await deps.requeue(turn.replyId)) {
        added += 1;
        deps.logger.warn(
          { replyId: turn.replyId, conversationId: turn.conversationId, createdAt: turn.createdAt.toISOString() },
          'reply still awaited and without a generate job: enqueued again',
        );
      }
    } catch (error) {
      // One reply that cannot be enqueued (Redis hiccup) does not hold back the others; the next sweep retries it.
      deps.logger.warn({ err: error, replyId: turn.replyId }, 'awaiting reply not enqueued again');
    }
  }
  return added;
};
