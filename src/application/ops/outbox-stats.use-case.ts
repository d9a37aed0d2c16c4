import type { Principal } from '../../domain/identity';
import type { Clock } from '../../domain/ports/clock';
import type { OutboxAdminStore } from '../../domain/ports/outbox-admin-store';
import type { PublishingStatusReader } from '../../domain/ports/publishing-status';
import { requireOps } from './require-ops';

/** Outbox counts and lags from the database, plus whether relays (possibly other processes) are blocked from publishing. */
export const createOutboxStats =
  (deps: { store: OutboxAdminStore; publishing: PublishingStatusReader; clock: Clock }) =>
  async (input: { principal: Principal }) => {
    requireOps(input.principal);
    const now = deps.clock.now();
    const [stats, blocked] = await Promise.all([deps.store.stats(now), deps.publishing.blocked(now)]);
    return {
      ...stats,
      publishingBlockedSince: blocked?.since ?? null,
      publishingBlockedReason: blocked?.reason ?? null,
      publishingBlockedRelays: blocked?.relays ?? 0,
    };
  };
