import { randomUUID } from 'node:crypto';
import { createPublishingGate } from '../../../src/application/publishing-gate';
import { createRelayBatch, NO_ROWS, type RelayBatchDeps } from '../../../src/application/relay-batch.use-case';
import type { PublishingChange } from '../../../src/domain/ports/publishing-status';
import type { OutboxMessage } from '../../../src/domain/outbox-message';
import type { RetryPolicy } from '../../../src/domain/retry-policy';
import { createFakeClock } from './fake-clock';
import { createInMemoryOutbox, type SeedRow } from './in-memory-outbox';
import { createRecordingPublisher } from './recording-publisher';

export const RELAY_POLICY: RetryPolicy = { baseMs: 1_000, capMs: 8_000 };
export const LEASE_MS = 30_000;
/** Probes while the broker is down back off 1 s, 2 s, 4 s (with jitter in the upper half), then stay at 4 s. */
export const PROBE_POLICY: RetryPolicy = { baseMs: 1_000, capMs: 4_000 };

/** A relay over in-memory fakes; `relay()` runs one round. */
export const createRelayHarness = (
  overrides: Partial<Pick<RelayBatchDeps, 'batchSize' | 'leaseMs' | 'owner'>> = {},
) => {
  const clock = createFakeClock();
  const outbox = createInMemoryOutbox({ clock });
  const publisher = createRecordingPublisher();
  const changes: PublishingChange[] = [];
  const gate = createPublishingGate({
    clock,
    policy: PROBE_POLICY,
    observe: (change) => changes.push(change),
    random: () => 1,
  });
  const relay = createRelayBatch({
    store: outbox.store,
    publisher,
    clock,
    policy: RELAY_POLICY,
    gate,
    owner: 'relay-1',
    batchSize: 10,
    leaseMs: LEASE_MS,
    ...overrides,
  });
  /** Seeds rows 1..n of a new conversation, due now. */
  const seedConversation = (n: number, overrides: SeedRow = {}): OutboxMessage[] => {
    const aggregateId = randomUUID();
    return Array.from({ length: n }, (_, i) => outbox.seed({ aggregateId, aggregateSeq: i + 1, ...overrides }));
  };
  const statusOf = (message: OutboxMessage) => outbox.row(message.id).status;
  const acknowledgedEventIds = () => publisher.acknowledged.map((m) => m.eventId);
  return { clock, outbox, publisher, gate, changes, relay, seedConversation, statusOf, acknowledgedEventIds };
};

/** A round that changed nothing: the use case's own zero. */
export const NOTHING_DONE = NO_ROWS;
