import { backoffDelayMs, type RetryPolicy } from './retry-policy';

/**
 * Whether this relay can hand records to the broker. `blocked` means the broker (not a
 * record) failed the last send: the relay stops claiming until `nextProbeAt`, then lets one
 * round through as a probe. Rows never pay attempts for it.
 */
export type PublishingState =
  | { readonly status: 'flowing' }
  | {
      readonly status: 'blocked';
      readonly reason: string;
      readonly since: Date;
      readonly probes: number;
      readonly nextProbeAt: Date;
    };

export type BlockedState = Extract<PublishingState, { status: 'blocked' }>;

export const FLOWING: PublishingState = { status: 'flowing' };

/**
 * A send failed because the broker is unavailable: block (keeping the first `since`) and back
 * off the next probe exponentially with jitter, capped so a returning broker is noticed soon.
 */
export const onBrokerUnavailable = (
  state: PublishingState,
  input: { reason: string; now: Date; policy: RetryPolicy },
  random: () => number = Math.random,
): BlockedState => {
  const probes = state.status === 'blocked' ? state.probes + 1 : 1;
  const since = state.status === 'blocked' ? state.since : input.now;
  return {
    status: 'blocked',
    reason: input.reason,
    since,
    probes,
    nextProbeAt: new Date(input.now.getTime() + backoffDelayMs(input.policy, probes, random)),
  };
};

/** A send went through (or there was nothing left to send): publishing flows again. */
export const onBrokerReachable = (): PublishingState => FLOWING;

/** While blocked only a due probe may claim rows, so an outage costs no claim transactions. */
export const mayPublish = (state: PublishingState, now: Date): boolean =>
  state.status === 'flowing' || now.getTime() >= state.nextProbeAt.getTime();
