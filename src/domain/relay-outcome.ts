import type { OutboxMessage } from './outbox-message';
import type { PublishFailure } from './ports/event-publisher';
import type { RowFailure } from './ports/outbox-relay-store';
import { decideFailure, type RetryPolicy } from './retry-policy';

export interface RelayPlan {
  readonly published: string[];
  readonly failures: RowFailure[];
  /** Rows behind an earlier failure of their own conversation: released, no attempt counted. */
  readonly heldBack: string[];
}

/**
 * Splits a claimed batch after publishing. Per conversation, in sequence order: rows the
 * broker acknowledged are published; the first failed row takes the failed attempt
 * (backoff or DEAD); every later row of that conversation is held back so it cannot
 * overtake the failed one. Other conversations are unaffected.
 */
export const planRelayOutcome = (
  messages: readonly OutboxMessage[],
  failures: ReadonlyMap<string, PublishFailure>,
  context: { policy: RetryPolicy; now: Date; random?: () => number },
): RelayPlan => {
  const plan: RelayPlan = { published: [], failures: [], heldBack: [] };
  const blocked = new Set<string>();
  const inOrder = [...messages].sort((a, b) => a.aggregateSeq - b.aggregateSeq);
  for (const message of inOrder) {
    const failure = failures.get(message.id);
    if (blocked.has(message.aggregateId)) {
      plan.heldBack.push(message.id);
    } else if (!failure) {
      plan.published.push(message.id);
    } else {
      blocked.add(message.aggregateId);
      const decision = decideFailure(
        context.policy,
        { attemptsSoFar: message.attempts, maxAttempts: message.maxAttempts, permanent: failure.permanent, now: context.now },
        context.random,
      );
      plan.failures.push({ id: message.id, decision, error: failure.error });
    }
  }
  return plan;
};
