import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 (its last release) re-arms a timer for every connection's request queue after
 * each check, also with nothing pending: `setTimeout(check, throttledUntil - now)` with a
 * negative delay, i.e. about every millisecond, forever (kafkajs issues 1556 and 1704, fix
 * proposed in pull request 1667 and never released). An idle API process woke 700 times a
 * second for it and spent about 3 % of a core; under load it competes with real work.
 *
 * This replaces that one method with the proposed fix: a check is scheduled only while requests
 * wait (throttled, or over the in-flight limit); a request pushed later, or one answered, checks
 * the queue itself. A runtime patch rather than patch-package: production images install without
 * dev dependencies, and the version guard below fails loudly if kafkajs ever changes under it.
 */
const PATCHED_VERSION = '2.2.4';
/** kafkajs's own interval for re-checking a throttled queue (module-private there). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
  );
}

let applied = false;

/** Installs the fix once per process; throws when the installed kafkajs is not the version it was written for. */
export const patchKafkajsIdleTimer = (): void => {
  if (applied) return;
  const require = createRequire(__filename);
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== PATCHED_VERSION)
    throw new Error(
      `kafkajs ${version} is installed; kafkajs-idle-timer.patch.ts was written for ${PATCHED_VERSION}: check whether it still needs the fix, then update or remove it`,
    );
  const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueLike };
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  applied = true;
};
