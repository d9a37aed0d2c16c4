import type { OutboxMessage } from './outbox-message';
import type { PublishResult } from './ports/event-publisher';
import type { RowFailure } from './ports/outbox-relay-store';
import { decideFailure, type RetryPolicy } from './retry-policy';

export interface RelayPlan {
  readonly published: string[];
  readonly failures: RowFailure[];
  /** Rows behind an earlier failure of their own conversation: released, no attempt counted. */
  readonly heldBack: string[];
  /** Rows the broker never took because it was unavailable: released untouched (attempts, next attempt). */
  readonly unsent: string[];
}

/**
 * Splits a claimed batch after publishing. Per conversation, in sequence order: rows the
 * broker acknowledged are published; the first row that failed for a reason of its own takes
 * the failed attempt (backoff or DEAD); every later row of that conversation is held back so
 * it cannot overtake the failed one. A row the broker never took (it was unavailable) is
 * nobody's fault: it and the rest of its conversation go back as they were.
 */
export const planRelayOutcome = (
  messages: readonly OutboxMessage[],
  result: Pick<PublishResult, 'acknowledged' | 'failures'>,
  context: { policy: RetryPolicy; now: Date; random?: () => number },
): RelayPlan => {
  const plan: RelayPlan = { published: [], failures: [], heldBack: [], unsent: [] };
  const blocked = new Map<string, 'heldBack' | 'unsent'>();
  const inOrder = [...messages].sort((a, b) => a.aggregateSeq - b.aggregateSeq);
  for (const message of inOrder) {
    const failure = result.failures.get(message.id);
    const stop = blocked.get(message.aggregateId);
    if (stop) {
      plan[stop].push(message.id);
    } else if (failure) {
      blocked.set(message.aggregateId, 'heldBack');
      const decision = decideFailure(
        context.policy,
        {
          attemptsSoFar: message.attempts,
          maxAttempts: message.maxAttempts,
          permanent: failure.permanent,
          now: context.now,
        },
        context.random,
      );
      plan.failures.push({ id: message.id, decision, error: failure.error });
    } else if (result.acknowledged.has(message.id)) {
      plan.published.push(message.id);
    } else {
      blocked.set(message.aggregateId, 'unsent');
      plan.unsent.push(message.id);
    }
  }
  return plan;
};
