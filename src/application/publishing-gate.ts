import type { Clock } from '../domain/ports/clock';
import type { PublishingObserver } from '../domain/ports/publishing-status';
import {
  FLOWING,
  mayPublish,
  onBrokerReachable,
  onBrokerUnavailable,
  type PublishingState,
} from '../domain/publishing-state';
import type { RetryPolicy } from '../domain/retry-policy';

/** One relay process's publishing state, shared by its drain loops. */
export interface PublishingGate {
  state(): PublishingState;
  /** Whether a round may claim rows now (always while flowing; while blocked only when a probe is due). */
  mayPublish(): boolean;
  /** The broker failed a send: block, or stay blocked with the next probe backed off further. */
  brokerUnavailable(reason: string): void;
  /** A send went through, or a due probe found nothing left to send. */
  brokerReachable(): void;
}

/**
 * Holds the pure publishing state machine and tells the observer about each change once:
 * `blocked` and `resumed` on the transitions, `still-blocked` per failed probe (never per row).
 */
export const createPublishingGate = (deps: {
  clock: Clock;
  policy: RetryPolicy;
  observe: PublishingObserver;
  random?: () => number;
}): PublishingGate => {
  let state: PublishingState = FLOWING;
  return {
    state: () => state,
    mayPublish: () => mayPublish(state, deps.clock.now()),
    brokerUnavailable(reason) {
      const wasBlocked = state.status === 'blocked';
      const next = onBrokerUnavailable(state, { reason, now: deps.clock.now(), policy: deps.policy }, deps.random);
      state = next;
      deps.observe({ kind: wasBlocked ? 'still-blocked' : 'blocked', state: next });
    },
    brokerReachable() {
      if (state.status !== 'blocked') return;
      const blocked = state;
      state = onBrokerReachable();
      deps.observe({ kind: 'resumed', blocked, now: deps.clock.now() });
    },
  };
};
