import type { RelayWaker } from '../../../domain/ports/relay-waker';
import type { Logger } from '../../../domain/ports/logger';

/**
 * The relay wakers to call after each outbox commit, each with what to tell when its wake-up
 * fails. Waking is not awaited: a commit's latency should not include a Redis round trip, and a
 * lost wake-up costs latency only, since the relay's scheduled scan publishes the rows anyway; it
 * is logged and counted (`onFailed`) so a Redis problem behind slow publishing is visible.
 */
export const createCommitWakers = (logger: Logger) => {
  const wakers = new Map<RelayWaker, (() => void) | undefined>();
  return {
    /** Registering one waker twice keeps one (with the latest `onFailed` given: one without keeps counting). */
    add(waker: RelayWaker, onFailed?: () => void) {
      wakers.set(waker, onFailed ?? wakers.get(waker));
    },
    /** Never throws nor waits: it runs inside MikroORM's commit path. */
    wakeAll() {
      for (const [waker, onFailed] of wakers)
        waker.wake().catch((error: unknown) => {
          onFailed?.();
          logger.warn({ err: error }, 'relay wake-up failed; the scheduled scan will publish');
        });
    },
  };
};
