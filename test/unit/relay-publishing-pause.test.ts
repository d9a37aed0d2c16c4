import { Registry } from 'prom-client';
import { FLOWING, mayPublish, onBrokerUnavailable } from '../../src/domain/publishing-state';
import { logPublishingChanges } from '../../src/infra/kafka/publishing-log';
import { createRelayMetrics, publishingGauges } from '../../src/infra/metrics/relay-metrics';
import { BROKER_DOWN_ERROR } from '../support/fakes/recording-publisher';
import { createRecordingLogger } from '../support/fakes/recording-logger';
import { createRelayHarness, NOTHING_DONE, PROBE_POLICY } from '../support/fakes/relay-harness';

const SECOND = 1_000;

describe('publishing state', () => {
  const now = new Date('2030-01-01T00:00:00.000Z');
  const at = (ms: number) => new Date(now.getTime() + ms);

  it('blocks at the first broker failure and keeps that moment as `since` across later probes', () => {
    const first = onBrokerUnavailable(FLOWING, { reason: 'ECONNREFUSED', now, policy: PROBE_POLICY }, () => 1);
    const later = onBrokerUnavailable(
      first,
      { reason: 'LEADER_NOT_AVAILABLE', now: at(SECOND), policy: PROBE_POLICY },
      () => 1,
    );
    expect(first).toEqual({
      status: 'blocked',
      reason: 'ECONNREFUSED',
      since: now,
      probes: 1,
      nextProbeAt: at(SECOND),
    });
    expect(later).toEqual({
      status: 'blocked',
      reason: 'LEADER_NOT_AVAILABLE',
      since: now,
      probes: 2,
      nextProbeAt: at(3 * SECOND),
    });
  });

  it('backs probes off exponentially with jitter in the upper half, up to the cap', () => {
    const delays: number[] = [];
    let state = FLOWING;
    for (let probe = 0; probe < 6; probe += 1) {
      state = onBrokerUnavailable(state, { reason: 'down', now, policy: PROBE_POLICY }, () => 0);
      delays.push(state.nextProbeAt.getTime() - now.getTime());
    }
    expect(delays).toEqual([500, 1_000, 2_000, 2_000, 2_000, 2_000]);
  });

  it('lets a round through while flowing, and while blocked only once the probe is due', () => {
    const blocked = onBrokerUnavailable(FLOWING, { reason: 'down', now, policy: PROBE_POLICY }, () => 1);
    expect(mayPublish(FLOWING, now)).toBe(true);
    expect(mayPublish(blocked, at(SECOND - 1))).toBe(false);
    expect(mayPublish(blocked, at(SECOND))).toBe(true);
  });
});

describe('relay paused by an unavailable broker', () => {
  it('gives every claimed row back untouched: still PENDING, no attempt, same next attempt, claim cleared', async () => {
    const { relay, outbox, publisher, seedConversation, clock } = createRelayHarness();
    const rows = [...seedConversation(2), ...seedConversation(1)];
    const dueAt = clock.now();
    publisher.brokerDown();
    await expect(relay()).resolves.toEqual({ ...NOTHING_DONE, claimed: 3, unsent: 3 });
    for (const row of rows) {
      expect(outbox.row(row.id)).toMatchObject({
        status: 'PENDING',
        attempts: 0,
        nextAttemptAt: dueAt,
        lastError: null,
        claimToken: null,
      });
    }
  });

  it('claims nothing until the next probe is due, then probes with one round', async () => {
    const { relay, publisher, seedConversation, clock } = createRelayHarness();
    seedConversation(2);
    publisher.brokerDown();
    await relay();
    await expect(relay()).resolves.toEqual(NOTHING_DONE);
    clock.advance(SECOND - 1);
    await expect(relay()).resolves.toEqual(NOTHING_DONE);
    expect(publisher.calls).toHaveLength(1);
    clock.advance(1);
    await expect(relay()).resolves.toMatchObject({ claimed: 2, unsent: 2 });
    expect(publisher.calls).toHaveLength(2);
  });

  it("survives an outage far longer than every row's retry schedule without a DEAD row, then delivers all in order", async () => {
    const { relay, outbox, publisher, seedConversation, clock, acknowledgedEventIds } = createRelayHarness();
    const rows = seedConversation(5, { maxAttempts: 3 });
    publisher.brokerDown();
    for (let elapsed = 0; elapsed < 3_600 * SECOND; elapsed += 500) {
      clock.advance(500);
      await relay();
    }
    expect(outbox.rows().map((r) => [r.status, r.attempts])).toEqual(rows.map(() => ['PENDING', 0]));
    publisher.brokerDown(false);
    clock.advance(PROBE_POLICY.capMs);
    await expect(relay()).resolves.toMatchObject({ claimed: 5, published: 5 });
    expect(acknowledgedEventIds()).toEqual(rows.map((r) => r.eventId));
  });

  it('reports one change when it blocks and one when it resumes, whatever the rows and probes in between', async () => {
    const { relay, publisher, seedConversation, clock, changes } = createRelayHarness();
    seedConversation(3);
    seedConversation(4);
    const since = clock.now();
    publisher.brokerDown();
    for (let probe = 0; probe < 5; probe += 1) {
      await relay();
      clock.advance(PROBE_POLICY.capMs);
    }
    publisher.brokerDown(false);
    await relay();
    await relay();
    expect(changes.map((c) => c.kind)).toEqual([
      'blocked',
      'still-blocked',
      'still-blocked',
      'still-blocked',
      'still-blocked',
      'resumed',
    ]);
    expect(changes[0]).toMatchObject({ state: { reason: BROKER_DOWN_ERROR, since } });
    expect(changes.at(-1)).toMatchObject({ blocked: { since, probes: 5 }, now: clock.now() });
  });

  it('opens again when a due probe finds nothing left to send (another relay delivered it)', async () => {
    const { relay, outbox, publisher, seedConversation, clock, gate } = createRelayHarness();
    seedConversation(1);
    publisher.brokerDown();
    await relay();
    await outbox.store.claim({ owner: 'relay-2', batchSize: 10, leaseMs: 60_000, now: clock.now() });
    clock.advance(PROBE_POLICY.capMs);
    await expect(relay()).resolves.toEqual(NOTHING_DONE);
    expect(gate.state()).toEqual(FLOWING);
  });

  it('pauses, attempts untouched, when every row of a round fails with an unclassified error, however long it lasts', async () => {
    const { relay, outbox, publisher, seedConversation, clock, gate, changes, acknowledgedEventIds } =
      createRelayHarness();
    const rows = seedConversation(3, { maxAttempts: 3 });
    const [other] = seedConversation(1, { maxAttempts: 3 });
    publisher.fail(rows[0]!.eventId, { error: 'KafkaJSError: something new' });
    publisher.fail(other!.eventId, { error: 'KafkaJSError: something new' });
    await expect(relay()).resolves.toEqual({ ...NOTHING_DONE, claimed: 4, unsent: 4 });
    expect(gate.state()).toMatchObject({ status: 'blocked', reason: expect.stringContaining('something new') });
    for (let probe = 0; probe < 20; probe += 1) {
      clock.advance(PROBE_POLICY.capMs);
      await relay();
    }
    expect(outbox.rows().map((r) => [r.status, r.attempts, r.lastError])).toEqual(
      [...rows, other!].map(() => ['PENDING', 0, null]),
    );
    expect(changes.filter((c) => c.kind === 'blocked')).toHaveLength(1);
    publisher.fail(rows[0]!.eventId, { times: 0 });
    publisher.fail(other!.eventId, { times: 0 });
    clock.advance(PROBE_POLICY.capMs);
    await expect(relay()).resolves.toMatchObject({ claimed: 4, published: 4 });
    expect(gate.state()).toEqual(FLOWING);
    expect(acknowledgedEventIds().filter((id) => rows.some((r) => r.eventId === id))).toEqual(
      rows.map((r) => r.eventId),
    );
  });

  it('charges an attempt for an unclassified error on one row while the broker takes the others', async () => {
    const { relay, outbox, publisher, seedConversation, gate } = createRelayHarness();
    const [odd] = seedConversation(1);
    seedConversation(1);
    publisher.fail(odd!.eventId, { error: 'KafkaJSError: something new' });
    await expect(relay()).resolves.toMatchObject({ published: 1, retried: 1 });
    expect(outbox.row(odd!.id)).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(gate.state()).toEqual(FLOWING);
  });

  it('still charges attempts for a failure of the record itself while the broker is up', async () => {
    const { relay, outbox, publisher, seedConversation, gate } = createRelayHarness();
    const [tooLarge] = seedConversation(1);
    publisher.fail(tooLarge!.eventId, { error: 'MESSAGE_TOO_LARGE', permanent: true });
    await expect(relay()).resolves.toMatchObject({ dead: 1 });
    expect(outbox.row(tooLarge!.id)).toMatchObject({ status: 'DEAD', attempts: 1 });
    expect(gate.state()).toEqual(FLOWING);
  });
});

describe('publishing change observers', () => {
  const blocked = onBrokerUnavailable(
    FLOWING,
    { reason: 'ECONNREFUSED', now: new Date('2030-01-01T00:00:00.000Z'), policy: PROBE_POLICY },
    () => 1,
  );

  it('logs a warning with the reason when blocked, nothing above debug per probe, and the outage length when resumed', () => {
    const logger = createRecordingLogger();
    const log = logPublishingChanges(logger);
    log({ kind: 'blocked', state: blocked });
    log({ kind: 'still-blocked', state: blocked });
    log({ kind: 'resumed', blocked, now: new Date('2030-01-01T00:06:30.000Z') });
    expect(logger.entries.map((e) => e.level)).toEqual(['warn', 'debug', 'info']);
    expect(logger.at('warn')[0]?.fields).toMatchObject({ reason: 'ECONNREFUSED' });
    expect(logger.at('info')[0]).toMatchObject({
      fields: { blockedSeconds: 390 },
      message: 'relay publishing resumed after 390 s',
    });
  });

  it('sets the blocked gauge and its since timestamp, and clears both on resume', async () => {
    const registry = new Registry();
    const metrics = createRelayMetrics(registry);
    const gauges = publishingGauges(metrics);
    const value = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values[0]?.value;
    gauges({ kind: 'blocked', state: blocked });
    expect([
      await value('agent_relay_relay_publishing_blocked'),
      await value('agent_relay_relay_publishing_blocked_since_seconds'),
    ]).toEqual([1, blocked.since.getTime() / 1000]);
    gauges({ kind: 'resumed', blocked, now: new Date() });
    expect([
      await value('agent_relay_relay_publishing_blocked'),
      await value('agent_relay_relay_publishing_blocked_since_seconds'),
    ]).toEqual([0, 0]);
  });
});
