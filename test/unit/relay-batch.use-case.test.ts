import { createRelayHarness, NOTHING_DONE, RELAY_POLICY } from '../support/fakes/relay-harness';

describe('relay batch', () => {
  it('does nothing and publishes nothing when no row is due', async () => {
    const { relay, publisher, seedConversation, clock } = createRelayHarness();
    seedConversation(1, { nextAttemptAt: new Date(clock.now().getTime() + 1) });
    await expect(relay()).resolves.toEqual(NOTHING_DONE);
    expect(publisher.calls).toEqual([]);
  });

  it('publishes due rows in one call and marks them PUBLISHED with the claim cleared', async () => {
    const { relay, outbox, publisher, seedConversation, clock } = createRelayHarness();
    const rows = [...seedConversation(2), ...seedConversation(1)];
    await expect(relay()).resolves.toEqual({ ...NOTHING_DONE, claimed: 3, published: 3 });
    expect(publisher.calls).toHaveLength(1);
    for (const row of rows) {
      expect(outbox.row(row.id)).toMatchObject({
        status: 'PUBLISHED',
        publishedAt: clock.now(),
        claimToken: null,
        claimOwner: null,
        claimExpiresAt: null,
      });
    }
  });

  it('records the partition and offset the broker gave each published row', async () => {
    const { relay, outbox, seedConversation } = createRelayHarness();
    const rows = seedConversation(3);
    await relay();
    expect(rows.map((r) => outbox.row(r.id).position)).toEqual([0, 1, 2].map((offset) => ({ partition: 0, offset })));
  });

  it('claims at most batchSize rows, lowest ids first', async () => {
    const { relay, publisher, seedConversation } = createRelayHarness({ batchSize: 2 });
    const rows = [seedConversation(1), seedConversation(1), seedConversation(1)].flat();
    await expect(relay()).resolves.toMatchObject({ claimed: 2, published: 2 });
    expect(publisher.calls[0]?.map((m) => m.id)).toEqual([rows[0]?.id, rows[1]?.id]);
  });

  it('leaves alone a row another relay holds under an unexpired lease', async () => {
    const { relay, publisher, seedConversation, clock } = createRelayHarness();
    seedConversation(1, { claimToken: 'other-relay', claimExpiresAt: new Date(clock.now().getTime() + 1_000) });
    await expect(relay()).resolves.toEqual(NOTHING_DONE);
    expect(publisher.calls).toEqual([]);
  });

  it('retries a failing conversation with backoff while another conversation is published', async () => {
    const { relay, outbox, publisher, seedConversation, clock, statusOf } = createRelayHarness();
    const [failing, behind] = seedConversation(2);
    const [healthy] = seedConversation(1);
    publisher.fail(failing!.eventId, { error: 'leader not available' });
    const round = await relay();
    const retried = outbox.row(failing!.id);
    // The round reports when its retry comes due, so the relay can wake itself then.
    expect(round).toEqual({
      ...NOTHING_DONE,
      claimed: 3,
      published: 1,
      retried: 1,
      heldBack: 1,
      nextRetryAt: retried.nextAttemptAt,
    });
    expect(statusOf(healthy!)).toBe('PUBLISHED');
    expect(retried).toMatchObject({
      status: 'PENDING',
      attempts: 1,
      lastError: 'leader not available',
      claimToken: null,
    });
    const delay = retried.nextAttemptAt.getTime() - clock.now().getTime();
    expect(delay).toBeGreaterThanOrEqual(RELAY_POLICY.baseMs / 2);
    expect(delay).toBeLessThanOrEqual(RELAY_POLICY.baseMs);
    expect(outbox.row(behind!.id)).toMatchObject({ status: 'PENDING', attempts: 0, lastError: null, claimToken: null });
  });

  it('marks a row DEAD with its error kept once it has failed maxAttempts times', async () => {
    const { relay, outbox, publisher, seedConversation, clock } = createRelayHarness();
    const [row] = seedConversation(1, { maxAttempts: 3 });
    publisher.fail(row!.eventId, { error: 'request timed out' });
    const summaries = [];
    for (let round = 0; round < 3; round += 1) {
      // Another conversation goes through each round: the broker works, so the failure is the row's own.
      seedConversation(1);
      summaries.push(await relay());
      clock.advance(RELAY_POLICY.capMs);
    }
    expect(summaries.map((s) => [s.published, s.retried, s.dead])).toEqual([
      [1, 1, 0],
      [1, 1, 0],
      [1, 0, 1],
    ]);
    expect(outbox.row(row!.id)).toMatchObject({
      status: 'DEAD',
      attempts: 3,
      lastError: 'request timed out',
      claimToken: null,
    });
    await expect(relay()).resolves.toEqual(NOTHING_DONE);
  });

  it('marks a permanently failing row DEAD at once, after which its conversation moves on', async () => {
    const { relay, outbox, publisher, seedConversation, statusOf } = createRelayHarness();
    const [tooLarge, next] = seedConversation(2);
    publisher.fail(tooLarge!.eventId, { error: 'MESSAGE_TOO_LARGE', permanent: true });
    await expect(relay()).resolves.toEqual({ ...NOTHING_DONE, claimed: 2, dead: 1, heldBack: 1 });
    expect(outbox.row(tooLarge!.id)).toMatchObject({ status: 'DEAD', attempts: 1, lastError: 'MESSAGE_TOO_LARGE' });
    await expect(relay()).resolves.toEqual({ ...NOTHING_DONE, claimed: 1, published: 1 });
    expect(statusOf(next!)).toBe('PUBLISHED');
  });

  it('stores a huge error bounded to 1000 characters', async () => {
    const { relay, outbox, publisher, seedConversation } = createRelayHarness();
    const [row] = seedConversation(1);
    seedConversation(1);
    publisher.fail(row!.eventId, { error: 'x'.repeat(5_000) });
    await relay();
    expect(outbox.row(row!.id).lastError).toHaveLength(1_000);
  });
});
