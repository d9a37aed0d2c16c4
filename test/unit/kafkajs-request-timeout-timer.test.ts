import { createRequire } from 'node:module';
import { patchKafkajsIdleTimer } from '../../src/infra/kafka/kafkajs-idle-timer.patch';

interface FakeRequest {
  correlationId: number;
  expectResponse: boolean;
  sentAt: number | null;
  requestTimeout: number;
  send(): void;
  timeoutRequest: jest.Mock;
}

type Queue = {
  pending: unknown[];
  inflight: Map<number, FakeRequest>;
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  enforceRequestTimeout: boolean;
  isConnected: () => boolean;
  scheduleRequestTimeoutCheck(): void;
  sendSocketRequest(request: FakeRequest): void;
  destroy(): void;
};

const RequestQueue = createRequire(__filename)('kafkajs/src/network/requestQueue') as { prototype: Queue };
const unpatched = RequestQueue.prototype.scheduleRequestTimeoutCheck;

/** A bare queue on kafkajs's own prototype, connected and enforcing timeouts. */
const aQueue = (connected = true): Queue => {
  const queue = Object.create(RequestQueue.prototype) as Queue;
  Object.assign(queue, {
    pending: [],
    inflight: new Map(),
    throttledUntil: -1,
    throttleCheckTimeoutId: null,
    enforceRequestTimeout: true,
    requestTimeout: 30_000,
    isConnected: () => connected,
  });
  return queue;
};

let ids = 0;
/** A request as kafkajs's SocketRequest behaves: send() stamps sentAt; a timeout takes it out of flight (the queue's timeout handler). */
const aRequest = (queue: Queue, requestTimeout: number): FakeRequest => {
  const request: FakeRequest = {
    correlationId: (ids += 1),
    expectResponse: true,
    sentAt: null,
    requestTimeout,
    send() {
      queue.inflight.set(this.correlationId, this);
      this.sentAt = Date.now();
    },
    timeoutRequest: jest.fn(() => queue.inflight.delete(request.correlationId)),
  };
  return request;
};

/** A queue whose connection came up (kafkajs calls scheduleRequestTimeoutCheck on connect). */
const aConnectedQueue = (connected = true) => {
  const queue = aQueue(connected);
  queue.scheduleRequestTimeoutCheck();
  return queue;
};

/** A request sent on the queue. */
const sent = (queue: Queue, requestTimeout: number) => {
  const request = aRequest(queue, requestTimeout);
  queue.sendSocketRequest(request);
  return request;
};

describe('kafkajs request-timeout check', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('in kafkajs as released, wakes every 100 ms per connection with nothing in flight (the cost)', () => {
    const queue = aQueue();
    const forEach = jest.spyOn(queue.inflight, 'forEach');
    unpatched.call(queue);
    jest.advanceTimersByTime(10_000);
    expect(forEach).toHaveBeenCalledTimes(100);
    expect(jest.getTimerCount()).toBe(1);
  });

  describe('patched', () => {
    beforeAll(() => patchKafkajsIdleTimer());

    it('arms no timer on connect, nor while nothing is in flight', () => {
      aConnectedQueue();
      expect(jest.getTimerCount()).toBe(0);
    });

    it('times a request out once its requestTimeout has passed, not before, then leaves no timer', () => {
      const queue = aConnectedQueue();
      const request = sent(queue, 1_000);
      expect(jest.getTimerCount()).toBe(1);
      jest.advanceTimersByTime(1_000);
      expect(request.timeoutRequest).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(request.timeoutRequest).toHaveBeenCalledTimes(1);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('a request with a nearer deadline moves the timer forward; the later one still times out on time', () => {
      const queue = aConnectedQueue();
      const joinGroup = sent(queue, 60_000);
      jest.advanceTimersByTime(500);
      const produce = sent(queue, 1_000);
      expect(jest.getTimerCount()).toBe(1);
      jest.advanceTimersByTime(1_001);
      expect(produce.timeoutRequest).toHaveBeenCalledTimes(1);
      expect(joinGroup.timeoutRequest).not.toHaveBeenCalled();
      jest.advanceTimersByTime(60_000 - 1_501);
      expect(joinGroup.timeoutRequest).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(joinGroup.timeoutRequest).toHaveBeenCalledTimes(1);
    });

    it('an answered request is not timed out, and its timer ends without re-arming', () => {
      const queue = aConnectedQueue();
      const request = sent(queue, 1_000);
      queue.inflight.delete(request.correlationId);
      jest.advanceTimersByTime(5_000);
      expect(request.timeoutRequest).not.toHaveBeenCalled();
      expect(jest.getTimerCount()).toBe(0);
    });

    it('destroy (disconnect) stops the checks; the next connect starts them for what is in flight', () => {
      const queue = aConnectedQueue();
      const request = sent(queue, 1_000);
      queue.destroy();
      expect(jest.getTimerCount()).toBe(0);
      jest.advanceTimersByTime(2_000);
      expect(request.timeoutRequest).not.toHaveBeenCalled();
      queue.scheduleRequestTimeoutCheck();
      jest.advanceTimersByTime(0);
      expect(request.timeoutRequest).toHaveBeenCalledTimes(1);
    });

    it('a connection found gone at a check stops the checks, as kafkajs does', () => {
      const queue = aConnectedQueue(false);
      const first = sent(queue, 1_000);
      sent(queue, 5_000);
      jest.advanceTimersByTime(1_001);
      expect(first.timeoutRequest).toHaveBeenCalledTimes(1);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('arms nothing when the client does not enforce request timeouts', () => {
      const queue = aQueue();
      queue.enforceRequestTimeout = false;
      queue.scheduleRequestTimeoutCheck();
      sent(queue, 1_000);
      expect(jest.getTimerCount()).toBe(0);
    });
  });
});
