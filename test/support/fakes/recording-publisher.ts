import type { OutboxMessage } from '../../../src/domain/outbox-message';
import type { EventPublisher, LogPosition, PublishFailure } from '../../../src/domain/ports/event-publisher';

interface Script {
  readonly failure: PublishFailure;
  remaining: number;
}

export interface RecordingPublisher extends EventPublisher {
  /** Every publish call's rows, as handed over. */
  readonly calls: readonly (readonly OutboxMessage[])[];
  /** Rows the "broker" acknowledged, in acknowledgement order. */
  readonly acknowledged: readonly OutboxMessage[];
  /** Fails the row carrying `eventId` for the next `times` publishes (default: always). */
  fail(eventId: string, options?: { error?: string; permanent?: boolean; times?: number }): void;
  /** While down, every call reports the broker unavailable and blames no row. */
  brokerDown(down?: boolean): void;
  /** Runs before each publish call settles, e.g. to let time pass mid-publish. */
  onPublish(hook: (messages: readonly OutboxMessage[]) => void | Promise<void>): void;
}

export const BROKER_DOWN_ERROR = 'KafkaJSNumberOfRetriesExceeded <- KafkaJSConnectionError: Connection error';
const HELD_BACK_ERROR = 'held back behind an earlier failure';

/**
 * Keeps the EventPublisher guarantee: one aggregate's rows go in the given order, and once a
 * row fails the later rows of its aggregate in that call fail too instead of overtaking it.
 */
export const createRecordingPublisher = (): RecordingPublisher => {
  const calls: OutboxMessage[][] = [];
  const acknowledged: OutboxMessage[] = [];
  const scripts = new Map<string, Script>();
  const hooks: ((messages: readonly OutboxMessage[]) => void | Promise<void>)[] = [];
  let down = false;

  const scriptedFailure = (message: OutboxMessage): PublishFailure | undefined => {
    const script = scripts.get(message.eventId);
    if (!script || script.remaining <= 0) return undefined;
    script.remaining -= 1;
    return script.failure;
  };

  return {
    calls,
    acknowledged,
    fail(
      eventId,
      { error = `scripted failure of ${eventId}`, permanent = false, times = Number.POSITIVE_INFINITY } = {},
    ) {
      scripts.set(eventId, { failure: { error, permanent }, remaining: times });
    },
    brokerDown(isDown = true) {
      down = isDown;
    },
    onPublish(hook) {
      hooks.push(hook);
    },
    async publish(messages) {
      calls.push([...messages]);
      for (const hook of hooks) await hook(messages);
      const failures = new Map<string, PublishFailure>();
      const acknowledgedNow = new Map<string, LogPosition | null>();
      if (down) return { acknowledged: acknowledgedNow, failures, unavailable: BROKER_DOWN_ERROR };
      const failedAggregates = new Set<string>();
      for (const message of messages) {
        if (failedAggregates.has(message.aggregateId)) {
          failures.set(message.id, { error: HELD_BACK_ERROR, permanent: false });
          continue;
        }
        const failure = scriptedFailure(message);
        if (failure) {
          failures.set(message.id, failure);
          failedAggregates.add(message.aggregateId);
        } else {
          // One partition, offsets in acknowledgement order: enough for the relay's bookkeeping.
          acknowledgedNow.set(message.id, { partition: 0, offset: acknowledged.length });
          acknowledged.push(message);
        }
      }
      return { acknowledged: acknowledgedNow, failures };
    },
  };
};
