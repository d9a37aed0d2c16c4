import { Registry } from 'prom-client';
import { createOutboxSnapshotCache, registerOutboxGauges, type SqlQuery } from '../../src/infra/metrics/outbox-gauges';
import { deferred } from '../support/eventually';
import { createRecordingLogger } from '../support/fakes/recording-logger';

const T0 = Date.parse('2026-11-28T12:00:00.000Z');

/** A fake database answering the two outbox statements; `fail` makes the next calls reject. */
const fakeDatabase = (counts: { status: string; n: number | bigint }[], oldest: Date | null) => {
  const state = { calls: 0, fail: false };
  const query: SqlQuery = async (sql) => {
    state.calls += 1;
    if (state.fail) throw new Error('connection lost');
    return sql.includes('GROUP BY') ? counts : [{ oldest }];
  };
  return { state, query };
};

const setup = (db: ReturnType<typeof fakeDatabase>) => {
  const clock = { now: T0 };
  const logger = createRecordingLogger();
  const cache = createOutboxSnapshotCache({ query: db.query, logger, ttlMs: 1000, now: () => clock.now });
  const registry = new Registry();
  registerOutboxGauges(registry, cache);
  const read = async () =>
    Object.fromEntries(
      (await registry.getMetricsAsJSON()).map((m) => [
        m.name,
        m.values.map((v) => [v.labels['status'] ?? '', v.value]),
      ]),
    );
  return { clock, logger, cache, read };
};

describe('outbox gauges', () => {
  it('reports every status (absent ones as 0) and the age of the oldest PENDING row', async () => {
    const db = fakeDatabase(
      [
        { status: 'PENDING', n: 2 },
        { status: 'CONSUMED', n: 10n },
      ],
      new Date(T0 - 4_500),
    );
    const { read } = setup(db);
    expect(await read()).toEqual({
      agent_relay_outbox_rows: [
        ['PENDING', 2],
        ['PUBLISHED', 0],
        ['CONSUMED', 10],
        ['DEAD', 0],
        ['DISCARDED', 0],
      ],
      agent_relay_outbox_oldest_pending_age_seconds: [['', 4.5]],
    });
  });

  it('reports age 0 when nothing is pending', async () => {
    const { cache } = setup(fakeDatabase([], null));
    await expect(cache.get()).resolves.toMatchObject({ oldestPendingAgeSeconds: 0 });
  });

  it('queries once per second however often it is scraped, and shares a refresh in flight', async () => {
    const db = fakeDatabase([], null);
    const { clock, cache, read } = setup(db);
    await Promise.all([read(), read(), cache.get()]);
    expect(db.state.calls).toBe(2);
    clock.now += 999;
    await read();
    expect(db.state.calls).toBe(2);
    clock.now += 1;
    await read();
    expect(db.state.calls).toBe(4);
  });

  it('keeps the last values and logs when the query fails, without failing the scrape', async () => {
    const db = fakeDatabase([{ status: 'DEAD', n: 3 }], null);
    const { clock, logger, read } = setup(db);
    await read();
    db.state.fail = true;
    clock.now += 1000;
    const values = await read();
    expect(values['agent_relay_outbox_rows']).toContainEqual(['DEAD', 3]);
    expect(logger.at('warn')).toEqual([
      expect.objectContaining({ message: 'outbox metrics query failed; keeping the last values' }),
    ]);
    // A failure counts as a refresh: an outage does not turn every scrape into a query.
    const calls = db.state.calls;
    await read();
    expect(db.state.calls).toBe(calls);
  });

  it('exposes no outbox values before the first successful read', async () => {
    const db = fakeDatabase([], null);
    db.state.fail = true;
    const { read } = setup(db);
    expect(await read()).toEqual({
      agent_relay_outbox_rows: [],
      agent_relay_outbox_oldest_pending_age_seconds: [['', 0]],
    });
  });

  it('waits for a slow query instead of starting a second one', async () => {
    const gate = deferred();
    let calls = 0;
    const query: SqlQuery = async () => {
      calls += 1;
      await gate.promise;
      return [];
    };
    const cache = createOutboxSnapshotCache({ query, logger: createRecordingLogger() });
    const first = cache.get();
    const second = cache.get();
    gate.resolve();
    await Promise.all([first, second]);
    expect(calls).toBe(2); // the two statements of one refresh
  });
});
