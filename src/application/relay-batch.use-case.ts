import type { Clock } from '../domain/ports/clock';
import type { EventPublisher } from '../domain/ports/event-publisher';
import type { OutboxRelayStore } from '../domain/ports/outbox-relay-store';
import { planRelayOutcome } from '../domain/relay-outcome';
import type { RetryPolicy } from '../domain/retry-policy';
import type { PublishingGate } from './publishing-gate';

export interface RelayBatchDeps {
  store: OutboxRelayStore;
  publisher: EventPublisher;
  clock: Clock;
  policy: RetryPolicy;
  /** Pauses the whole relay while the broker is unavailable (shared by this process's loops). */
  gate: PublishingGate;
  /** Names this relay in claim_owner (host and pid), for ops. */
  owner: string;
  batchSize: number;
  leaseMs: number;
}

export interface RelayBatchSummary {
  claimed: number;
  published: number;
  retried: number;
  dead: number;
  heldBack: number;
  /** Rows given back untouched because the broker was unavailable (no attempt counted). */
  unsent: number;
  /** Rows this relay could not record: its lease was taken over, or the consumer already completed them (the guarded update changed nothing). */
  stale: number;
  /** When the earliest row this round sent into backoff is due again (null: none was). */
  nextRetryAt: Date | null;
}

/** The earliest of some times, or null for none. */
export const earliest = (times: readonly (Date | null)[]): Date | null =>
  times.reduce<Date | null>((first, t) => (t !== null && (first === null || t < first) ? t : first), null);

/** A round that claimed nothing; also the zero for adding rounds up. */
export const NO_ROWS: RelayBatchSummary = {
  claimed: 0,
  published: 0,
  retried: 0,
  dead: 0,
  heldBack: 0,
  unsent: 0,
  stale: 0,
  nextRetryAt: null,
};

/**
 * One relay round: claim a batch, publish it in one producer call, record the outcome with
 * fenced, guarded updates. Nothing is published that was not committed, and a relay that
 * lost its claim cannot overwrite what a newer claim (or the consumer) decided. While the
 * broker is unavailable the round claims nothing until the gate's next probe is due, and rows
 * the broker did not take go back with their attempts and next attempt untouched.
 */
export const createRelayBatch = (deps: RelayBatchDeps) => async (): Promise<RelayBatchSummary> => {
  if (!deps.gate.mayPublish()) return NO_ROWS;
  const claim = await deps.store.claim({
    owner: deps.owner,
    batchSize: deps.batchSize,
    leaseMs: deps.leaseMs,
    now: deps.clock.now(),
  });
  if (claim.messages.length === 0) {
    // A due probe with nothing to send (another relay delivered the rows): nothing shows the broker is still down.
    deps.gate.brokerReachable();
    return NO_ROWS;
  }
  const result = await deps.publisher.publish(claim.messages);
  const now = deps.clock.now();
  // The plan, not the publisher alone, says whether the broker failed: a round whose every row
  // failed for an unexplained reason pauses the relay like an outage (planRelayOutcome).
  const plan = planRelayOutcome(claim.messages, result, { policy: deps.policy, now });
  if (plan.unavailable === undefined) deps.gate.brokerReachable();
  else deps.gate.brokerUnavailable(plan.unavailable);
  const write = <T>(rows: readonly T[], apply: (rows: readonly T[]) => Promise<number>) =>
    rows.length ? apply(rows) : Promise.resolve(0);
  // Counts are what the fenced updates really changed: a row another claim took over counts as stale only.
  const [published, retried, dead, heldBack, unsent] = await Promise.all([
    write(plan.published, (ids) =>
      deps.store.markPublished({ token: claim.token, ids, now, positions: result.acknowledged }),
    ),
    write(
      plan.failures.filter((f) => f.decision.kind === 'retry'),
      (failures) => deps.store.recordFailures({ token: claim.token, failures, now }),
    ),
    write(
      plan.failures.filter((f) => f.decision.kind === 'dead'),
      (failures) => deps.store.recordFailures({ token: claim.token, failures, now }),
    ),
    write(plan.heldBack, (ids) => deps.store.release({ token: claim.token, ids })),
    write(plan.unsent, (ids) => deps.store.release({ token: claim.token, ids })),
  ]);
  const claimed = claim.messages.length;
  const retryTimes = plan.failures.flatMap((f) => (f.decision.kind === 'retry' ? [f.decision.nextAttemptAt] : []));
  return {
    claimed,
    published,
    retried,
    dead,
    heldBack,
    unsent,
    stale: claimed - published - retried - dead - heldBack - unsent,
    nextRetryAt: earliest(retryTimes),
  };
};
