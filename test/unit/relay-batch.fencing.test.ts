import type { Claim } from '../../src/domain/ports/outbox-relay-store';
import { createRelayHarness, LEASE_MS, NOTHING_DONE, RELAY_POLICY } from '../support/fakes/relay-harness';

/** While the first relay is publishing, its lease runs out and a second relay claims the same rows. */
const takeOverMidPublish = (harness: ReturnType<typeof createRelayHarness>) => {
  const takeover: { claim?: Claim } = {};
  harness.publisher.onPublish(async () => {
    if (takeover.claim) return;
    harness.clock.advance(LEASE_MS + 1);
    takeover.claim = await harness.outbox.store.claim({
      owner: 'relay-2',
      batchSize: 10,
      leaseMs: LEASE_MS,
      now: harness.clock.now(),
    });
  });
  return takeover;
};

describe('relay batch fencing', () => {
  it('reports an acknowledgement as stale when its claim was taken over, and leaves the new claim in place', async () => {
    const harness = createRelayHarness();
    const rows = harness.seedConversation(2);
    const takeover = takeOverMidPublish(harness);
    await expect(harness.relay()).resolves.toEqual({ ...NOTHING_DONE, claimed: 2, published: 0, stale: 2 });
    for (const row of rows) {
      expect(harness.outbox.row(row.id)).toMatchObject({
        status: 'PENDING',
        claimOwner: 'relay-2',
        claimToken: takeover.claim?.token,
      });
    }
  });

  it('lets the relay that took over record the outcome the stale one could not', async () => {
    const harness = createRelayHarness();
    const rows = harness.seedConversation(2);
    const takeover = takeOverMidPublish(harness);
    await harness.relay();
    const { token } = takeover.claim ?? { token: 'missing' };
    await expect(
      harness.outbox.store.markPublished({ token, ids: rows.map((r) => r.id), now: harness.clock.now() }),
    ).resolves.toBe(2);
  });

  it('does not record a failed attempt on a row whose claim was taken over', async () => {
    const harness = createRelayHarness();
    const [row] = harness.seedConversation(1);
    harness.publisher.fail(row!.eventId);
    takeOverMidPublish(harness);
    await expect(harness.relay()).resolves.toMatchObject({ claimed: 1, stale: 1 });
    expect(harness.outbox.row(row!.id)).toMatchObject({
      status: 'PENDING',
      attempts: 0,
      lastError: null,
      claimOwner: 'relay-2',
    });
  });

  it('counts a failure fenced out by a newer claim as stale only, not also as retried', async () => {
    const harness = createRelayHarness();
    const [row] = harness.seedConversation(1);
    harness.publisher.fail(row!.eventId);
    takeOverMidPublish(harness);
    // Each claimed row should be accounted for exactly once.
    await expect(harness.relay()).resolves.toEqual({ ...NOTHING_DONE, claimed: 1, stale: 1 });
  });

  it('does not claim a row while an earlier row of its conversation is backing off', async () => {
    const { relay, publisher, seedConversation, clock } = createRelayHarness();
    const [first] = seedConversation(2);
    publisher.fail(first!.eventId, { times: 1 });
    await relay();
    clock.advance(RELAY_POLICY.baseMs / 2 - 1);
    await expect(relay()).resolves.toEqual(NOTHING_DONE);
    expect(publisher.calls).toHaveLength(1);
  });

  it('publishes a held-back row only after the earlier row of its conversation succeeds', async () => {
    const { relay, publisher, seedConversation, clock, statusOf, acknowledgedEventIds } = createRelayHarness();
    const [first, second] = seedConversation(2);
    const [other] = seedConversation(1); // the broker takes another conversation: the failure is the row's own
    publisher.fail(first!.eventId, { times: 1 });
    await expect(relay()).resolves.toMatchObject({ published: 1, retried: 1, heldBack: 1 });
    expect(statusOf(second!)).toBe('PENDING');
    clock.advance(RELAY_POLICY.baseMs);
    await expect(relay()).resolves.toMatchObject({ claimed: 2, published: 2 });
    expect(acknowledgedEventIds()).toEqual([other!.eventId, first!.eventId, second!.eventId]);
  });

  it('keeps a conversation in order across several failed rounds while another flows freely', async () => {
    const { relay, publisher, seedConversation, clock, acknowledgedEventIds } = createRelayHarness();
    const slow = seedConversation(3);
    const fast = seedConversation(1);
    publisher.fail(slow[1]!.eventId, { times: 2 });
    for (let round = 0; round < 4; round += 1) {
      await relay();
      clock.advance(RELAY_POLICY.capMs);
    }
    const slowOrder = acknowledgedEventIds().filter((id) => slow.some((m) => m.eventId === id));
    expect(slowOrder).toEqual(slow.map((m) => m.eventId));
    expect(acknowledgedEventIds()[0]).toBe(slow[0]!.eventId);
    expect(acknowledgedEventIds()).toContain(fast[0]!.eventId);
  });
});
