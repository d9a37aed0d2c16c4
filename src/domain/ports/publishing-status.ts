import type { BlockedState } from '../publishing-state';

/** One change of a relay's publishing state, reported once (never per row). */
export type PublishingChange =
  | { readonly kind: 'blocked'; readonly state: BlockedState }
  /** Another probe failed: the outage goes on (refreshes shared state; not logged at info). */
  | { readonly kind: 'still-blocked'; readonly state: BlockedState }
  | { readonly kind: 'resumed'; readonly blocked: BlockedState; readonly now: Date };

/** Told about every publishing change of this relay (log line, metric, shared state). Must not throw. */
export type PublishingObserver = (change: PublishingChange) => void;

/** What ops see about publishing across every relay process (they may run elsewhere). */
export interface PublishingBlock {
  readonly since: Date;
  readonly reason: string;
  /** How many relay processes currently report the block. */
  readonly relays: number;
}

/**
 * Shared view of blocked relays.
 * Guarantee: a relay that died while blocked stops being reported once its entry's TTL runs out.
 */
export interface PublishingStatusReader {
  /** The earliest block still reported by a live relay, or null when publishing flows. */
  blocked(now: Date): Promise<PublishingBlock | null>;
}
