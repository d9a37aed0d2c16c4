import { createRequire } from 'node:module';

/**
 * Two timers kafkajs 2.2.4 (its last release) runs for every broker connection, needed or not.
 *
 * 1. The pending-requests check re-arms itself after each check, also with nothing pending:
 *    `setTimeout(check, throttledUntil - now)` with a negative delay, i.e. about every
 *    millisecond, forever (kafkajs issues 1556 and 1704, fix proposed in pull request 1667 and
 *    never released). An idle API process woke 700 times a second for it and spent about 3 % of a
 *    core. Replaced by the proposed fix: a check is scheduled only while requests wait
 *    (throttled, or over the in-flight limit); a request pushed later, or one answered, checks
 *    the queue itself.
 * 2. The request-timeout check is a `setInterval` of 100 ms per connection from connect to
 *    disconnect, whether or not a request is in flight: an idle process with all roles holds six
 *    or seven connections (producer, consumer's coordinator and fetch, admin): its event loop
 *    waited 82–102 times a second, 36 with this patch, while the JS timers it created came to
 *    about 5 a second (bench/README.md, eighth round: `bench/experiments/idle-cost.sh
 *    --wakeups`). Replaced by one timer per connection at the earliest deadline of
 *    the requests in flight, armed when a request is sent and re-armed after each check while
 *    requests remain: the same deadlines (a request still times out `requestTimeout` after it was
 *    sent, now to the millisecond instead of within 100 ms), no timer while nothing is in flight.
 *
 * A runtime patch rather than patch-package: production images install without dev
 * dependencies, and the version guard below fails loudly if kafkajs ever changes under it.
 */
const PATCHED_VERSION = '2.2.4';
/** kafkajs's own interval for re-checking a throttled queue (module-private there). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface InflightRequest {
  sentAt: number | null;
  requestTimeout: number;
  timeoutRequest(): void;
}

interface RequestQueueLike {
  pending: unknown[];
  inflight: Map<number, InflightRequest>;
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  enforceRequestTimeout: boolean;
  requestTimeoutIntervalId?: ReturnType<typeof setTimeout> | undefined;
  /** When the armed request-timeout check fires. */
  requestTimeoutDueAt?: number;
  /** Set while the connection is up and enforces timeouts (between connect and destroy). */
  requestTimeoutsOn?: boolean;
  isConnected(): boolean;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  scheduleRequestTimeoutCheck(): void;
  sendSocketRequest(request: unknown): void;
  destroy(): void;
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

/** The earliest moment a request in flight is past its timeout (kafkajs times out when now − sentAt > requestTimeout). */
const nextDeadline = (queue: RequestQueueLike): number | undefined => {
  let first: number | undefined;
  for (const request of queue.inflight.values()) {
    if (request.sentAt === null) continue;
    const deadline = request.sentAt + request.requestTimeout + 1;
    if (first === undefined || deadline < first) first = deadline;
  }
  return first;
};

/**
 * One timer at the earliest deadline in flight. A request with a nearer deadline than the armed
 * one (a produce sent while a JoinGroup with its long timeout waits) moves the timer forward.
 */
const armRequestTimeoutCheck = (queue: RequestQueueLike): void => {
  if (!queue.requestTimeoutsOn) return;
  const deadline = nextDeadline(queue);
  if (deadline === undefined) return;
  if (queue.requestTimeoutIntervalId) {
    if ((queue.requestTimeoutDueAt ?? 0) <= deadline) return;
    clearTimeout(queue.requestTimeoutIntervalId);
  }
  queue.requestTimeoutDueAt = deadline;
  queue.requestTimeoutIntervalId = setTimeout(
    () => {
      queue.requestTimeoutIntervalId = undefined;
      const now = Date.now();
      for (const request of [...queue.inflight.values()])
        if (request.sentAt !== null && now - request.sentAt > request.requestTimeout) request.timeoutRequest();
      // As kafkajs's interval did: a connection gone stops the checks (it rejects what it had in flight).
      if (!queue.isConnected()) queue.destroy();
      else armRequestTimeoutCheck(queue);
    },
    Math.max(0, deadline - Date.now()),
  );
};

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
  const proto = RequestQueue.prototype;
  proto.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  const { sendSocketRequest, destroy } = proto;
  proto.scheduleRequestTimeoutCheck = function (this: RequestQueueLike) {
    if (!this.enforceRequestTimeout) return;
    this.destroy();
    this.requestTimeoutsOn = true;
    armRequestTimeoutCheck(this);
  };
  proto.sendSocketRequest = function (this: RequestQueueLike, request: unknown) {
    sendSocketRequest.call(this, request);
    armRequestTimeoutCheck(this);
  };
  proto.destroy = function (this: RequestQueueLike) {
    destroy.call(this);
    this.requestTimeoutIntervalId = undefined;
    this.requestTimeoutsOn = false;
  };
  applied = true;
};
