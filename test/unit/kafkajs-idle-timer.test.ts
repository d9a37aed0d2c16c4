import { createRequire } from 'node:module';
import { patchKafkajsIdleTimer } from '../../src/infra/kafka/kafkajs-idle-timer.patch';

type Queue = {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
};

const RequestQueue = createRequire(__filename)('kafkajs/src/network/requestQueue') as {
  prototype: Queue;
};

/** A bare object on kafkajs's own prototype: the two methods under test need no connection. */
const aQueue = (pending: unknown[] = [], throttledUntil = -1): Queue => {
  const queue = Object.create(RequestQueue.prototype) as Queue;
  Object.assign(queue, { pending, throttledUntil, throttleCheckTimeoutId: null });
  queue.checkPendingRequests = jest.fn();
  return queue;
};

describe('kafkajs request-queue idle timer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('is re-armed every millisecond with nothing pending in kafkajs as released (the bug)', () => {
    const original = RequestQueue.prototype.scheduleCheckPendingRequests;
    const queue = aQueue();
    queue.scheduleCheckPendingRequests = original;
    // Once armed, kafkajs's check calls schedule again: model that loop for 100 ms.
    queue.checkPendingRequests = jest.fn(() => queue.scheduleCheckPendingRequests());
    queue.scheduleCheckPendingRequests();
    jest.advanceTimersByTime(100);
    expect((queue.checkPendingRequests as jest.Mock).mock.calls.length).toBeGreaterThanOrEqual(50);
  });

  describe('patched', () => {
    beforeAll(() => patchKafkajsIdleTimer());

    it('arms no timer while no request waits', () => {
      const queue = aQueue();
      queue.scheduleCheckPendingRequests();
      expect(queue.throttleCheckTimeoutId).toBeNull();
      expect(jest.getTimerCount()).toBe(0);
    });

    it('checks a waiting request when the broker throttle ends', () => {
      const queue = aQueue(['request'], Date.now() + 250);
      queue.scheduleCheckPendingRequests();
      jest.advanceTimersByTime(249);
      expect(queue.checkPendingRequests).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(queue.checkPendingRequests).toHaveBeenCalledTimes(1);
    });

    it('re-checks a waiting, unthrottled request every 10 ms, as kafkajs does, and arms one timer at a time', () => {
      const queue = aQueue(['request']);
      queue.scheduleCheckPendingRequests();
      queue.scheduleCheckPendingRequests();
      expect(jest.getTimerCount()).toBe(1);
      jest.advanceTimersByTime(10);
      expect(queue.checkPendingRequests).toHaveBeenCalledTimes(1);
      expect(queue.throttleCheckTimeoutId).toBeNull();
    });
  });
});
