import type { PublishingObserver } from '../../domain/ports/publishing-status';
import type { Logger } from '../../domain/ports/logger';

/** One line per state change, never per row: warn when blocked, info when resumed with the outage's length. */
export const logPublishingChanges =
  (logger: Logger): PublishingObserver =>
  (change) => {
    switch (change.kind) {
      case 'blocked':
        logger.warn(
          { reason: change.state.reason, nextProbeAt: change.state.nextProbeAt.toISOString() },
          'relay publishing blocked: the broker is unavailable; rows stay PENDING with their attempts',
        );
        return;
      case 'still-blocked':
        logger.debug(
          {
            reason: change.state.reason,
            probes: change.state.probes,
            nextProbeAt: change.state.nextProbeAt.toISOString(),
          },
          'relay publishing still blocked',
        );
        return;
      case 'resumed': {
        const blockedSeconds = Math.round((change.now.getTime() - change.blocked.since.getTime()) / 100) / 10;
        logger.info(
          { blockedSeconds, probes: change.blocked.probes, reason: change.blocked.reason },
          `relay publishing resumed after ${blockedSeconds} s`,
        );
        return;
      }
      default: {
        const unreachable: never = change;
        throw new Error(`unknown publishing change ${String(unreachable)}`);
      }
    }
  };
