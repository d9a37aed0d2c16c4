import type { OutboxMessage } from './outbox-message';
import type { PublishFailure, PublishResult } from './ports/event-publisher';
import type { RowFailure } from './ports/outbox-relay-store';
import { decideFailure, type RetryPolicy } from './retry-policy';

export interface RelayPlan {
  readonly published: string[];
  readonly failures: RowFailure[];
  /** Rows behind an earlier failure of their own conversation: released, no attempt counted. */
  readonly heldBack: string[];
  /** Rows the broker never took because it was unavailable: released untouched (attempts, next attempt). */
  readonly unsent: string[];
  /**
   * Set when the round shows the broker (not a record) failing: the publisher said so, or the
   * broker acknowledged none of the round's rows and some failed for a reason no class explains
   * (see blamesTheRow). The relay pauses with this reason; no row pays an attempt for it.
   */
  readonly unavailable?: string;
}

/**
 * Whether a failure is the row's own, so that it pays an attempt. A record-level failure (too
 * large, invalid, unserialisable: `permanent`) always is. An unclassified failure is only when
 * the broker acknowledged other rows of the same round: then the broker works and this record is
 * the odd one out. When it acknowledged none, the same unexplained error on every row it was
 * given says nothing against any of them (a broker-side fault the classifier does not know yet),
 * so it is handled as an outage: attempts untouched, the relay paused and probing.
 */
const blamesTheRow = (failure: PublishFailure, result: Pick<PublishResult, 'acknowledged'>) =>
  failure.permanent || result.acknowledged.size > 0;

/**
 * Splits a claimed batch after publishing. Per conversation, in sequence order: rows the
 * broker acknowledged are published; the first row that failed for a reason of its own takes
 * the failed attempt (backoff or DEAD); every later row of that conversation is held back so
 * it cannot overtake the failed one. A row the broker never took (it was unavailable), or that
 * failed in a round where the broker took nothing (see blamesTheRow), is nobody's fault: it and
 * the rest of its conversation go back as they were.
 */
export const planRelayOutcome = (
  messages: readonly OutboxMessage[],
  result: Pick<PublishResult, 'acknowledged' | 'failures' | 'unavailable'>,
  context: { policy: RetryPolicy; now: Date; random?: () => number },
): RelayPlan => {
  const plan: RelayPlan = { published: [], failures: [], heldBack: [], unsent: [] };
  let unavailable = result.unavailable;
  const blocked = new Map<string, 'heldBack' | 'unsent'>();
  const inOrder = [...messages].sort((a, b) => a.aggregateSeq - b.aggregateSeq);
  for (const message of inOrder) {
    const failure = result.failures.get(message.id);
    const stop = blocked.get(message.aggregateId);
    if (stop) {
      plan[stop].push(message.id);
    } else if (failure && !blamesTheRow(failure, result)) {
      blocked.set(message.aggregateId, 'unsent');
      plan.unsent.push(message.id);
      unavailable ??= `no record of the round was acknowledged: ${failure.error}`;
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
  return unavailable === undefined ? plan : { ...plan, unavailable };
};
