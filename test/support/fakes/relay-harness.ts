import { randomUUID } from 'node:crypto';
import { createRelayBatch, type RelayBatchDeps } from '../../../src/application/relay-batch.use-case';
import type { OutboxMessage } from '../../../src/domain/outbox-message';
import type { RetryPolicy } from '../../../src/domain/retry-policy';
import { createFakeClock } from './fake-clock';
import { createInMemoryOutbox, type SeedRow } from './in-memory-outbox';
import { createRecordingPublisher } from './recording-publisher';

export const RELAY_POLICY: RetryPolicy = { baseMs: 1_000, capMs: 8_000 };
export const LEASE_MS = 30_000;

/** A relay over in-memory fakes; `relay()` runs one round. */
export const createRelayHarness = (overrides: Partial<Pick<RelayBatchDeps, 'batchSize' | 'leaseMs' | 'owner'>> = {}) => {
  const clock = createFakeClock();
  const outbox = createInMemoryOutbox({ clock });
  const publisher = createRecordingPublisher();
  const relay = createRelayBatch({ store: outbox.store, publisher, clock, policy: RELAY_POLICY, owner: 'relay-1', batchSize: 10, leaseMs: LEASE_MS, ...overrides });
  /** Seeds rows 1..n of a new conversation, due now. */
  const seedConversation = (n: number, overrides: SeedRow = {}): OutboxMessage[] => {
    const aggregateId = randomUUID();
    return Array.from({ length: n }, (_, i) => outbox.seed({ aggregateId, aggregateSeq: i + 1, ...overrides }));
  };
  const statusOf = (message: OutboxMessage) => outbox.row(message.id).status;
  const acknowledgedEventIds = () => publisher.acknowledged.map((m) => m.eventId);
  return { clock, outbox, publisher, relay, seedConversation, statusOf, acknowledgedEventIds };
};

export const NOTHING_DONE = { claimed: 0, published: 0, retried: 0, dead: 0, heldBack: 0, stale: 0 };
