import { createPurgeConsumed, createSweepOutbox } from '../../src/application/sweep-outbox.use-case';
import type { PartitionProgress } from '../../src/domain/lost-records';
import type { LogProgressReader } from '../../src/domain/ports/log-progress';
import { createFakeClock } from '../support/fakes/fake-clock';
import { createInMemoryOutbox } from '../support/fakes/in-memory-outbox';

const MINUTE = 60_000;

const TOPIC = 'history';

/** The log's state as the broker would report it; `fail` makes the read reject like an unreachable broker. */
const fakeProgress = () => {
  const partitions: PartitionProgress[] = [];
  let reads = 0;
  let fail = false;
  const reader: LogProgressReader = {
    async progress() {
      reads += 1;
      if (fail) throw new Error('KafkaJSConnectionError: connect ECONNREFUSED');
      return partitions;
    },
  };
  return {
    reader,
    reads: () => reads,
    set: (progress: Omit<PartitionProgress, 'topic'>) => partitions.push({ topic: TOPIC, ...progress }),
    fail: () => {
      fail = true;
    },
  };
};

const setup = () => {
  const clock = createFakeClock();
  const outbox = createInMemoryOutbox({ clock });
  const progress = fakeProgress();
  const ago = (ms: number) => new Date(clock.now().getTime() - ms);
  const sweep = createSweepOutbox({
    store: outbox.store,
    progress: progress.reader,
    clock,
    sweepAfterMs: 5 * MINUTE,
    limit: 100,
  });
  /** A row published `age` ago at `offset` of partition 0 (no position: offset null). */
  const published = (age: number, offset: number | null) =>
    outbox.seed({
      topic: TOPIC,
      status: 'PUBLISHED',
      publishedAt: ago(age),
      nextAttemptAt: ago(age + MINUTE),
      position: offset === null ? null : { partition: 0, offset },
    });
  return { clock, outbox, progress, ago, sweep, published };
};

const NOTHING = { requeued: 0, unrecorded: 0, lost: 0, released: 0, progressUnknown: false };

describe('sweep outbox', () => {
  it('sends a PUBLISHED row without a log position back to PENDING, due now, once it has waited longer than sweepAfterMs', async () => {
    const { clock, outbox, sweep, published, progress } = setup();
    const row = published(10 * MINUTE, null);
    await expect(sweep()).resolves.toEqual({ ...NOTHING, requeued: 1, unrecorded: 1 });
    expect(outbox.row(row.id)).toMatchObject({ status: 'PENDING', nextAttemptAt: clock.now(), publishedAt: null });
    expect(progress.reads()).toBe(0);
  });

  it('leaves a recently published row alone', async () => {
    const { outbox, sweep, published } = setup();
    const row = published(MINUTE, null);
    await sweep();
    expect(outbox.row(row.id).status).toBe('PUBLISHED');
  });

  it('does not re-publish rows still waiting behind a slow consumer, however old', async () => {
    const { outbox, sweep, published, progress } = setup();
    const rows = [published(60 * MINUTE, 10), published(60 * MINUTE, 11)];
    progress.set({ partition: 0, committed: 10, logStart: 0, highWatermark: 12 });
    await expect(sweep()).resolves.toEqual(NOTHING);
    expect(rows.map((r) => outbox.row(r.id).status)).toEqual(['PUBLISHED', 'PUBLISHED']);
  });

  it('re-publishes a row the consumer group committed past without recording it, and only that one', async () => {
    const { outbox, sweep, published, progress } = setup();
    const passed = published(10 * MINUTE, 4);
    const waiting = published(10 * MINUTE, 5);
    progress.set({ partition: 0, committed: 5, logStart: 0, highWatermark: 6 });
    await expect(sweep()).resolves.toEqual({ ...NOTHING, requeued: 1, lost: 1 });
    expect(outbox.row(passed.id)).toMatchObject({ status: 'PENDING', position: null });
    expect(outbox.row(waiting.id).status).toBe('PUBLISHED');
  });

  it('re-publishes rows retention deleted and rows the log lost to truncation', async () => {
    const { outbox, sweep, published, progress } = setup();
    const deleted = published(10 * MINUTE, 2);
    const waiting = published(10 * MINUTE, 3);
    const truncated = published(10 * MINUTE, 9);
    progress.set({ partition: 0, committed: null, logStart: 3, highWatermark: 9 });
    await expect(sweep()).resolves.toEqual({ ...NOTHING, requeued: 2, lost: 2 });
    expect([deleted, waiting, truncated].map((r) => outbox.row(r.id).status)).toEqual([
      'PENDING',
      'PUBLISHED',
      'PENDING',
    ]);
  });

  it('keeps positioned rows when the broker cannot tell where the log stands, but still sweeps rows without a position', async () => {
    const { outbox, sweep, published, progress } = setup();
    const positioned = published(10 * MINUTE, 0);
    const unpositioned = published(10 * MINUTE, null);
    progress.fail();
    await expect(sweep()).resolves.toEqual({ ...NOTHING, requeued: 1, unrecorded: 1, progressUnknown: true });
    expect([positioned, unpositioned].map((r) => outbox.row(r.id).status)).toEqual(['PUBLISHED', 'PENDING']);
  });

  it('reads the log once per sweep, however many rows it judges', async () => {
    const { sweep, published, progress } = setup();
    for (let offset = 0; offset < 20; offset += 1) published(10 * MINUTE, offset);
    progress.set({ partition: 0, committed: 0, logStart: 0, highWatermark: 20 });
    await sweep();
    expect(progress.reads()).toBe(1);
  });

  it('clears the claim a dead relay left behind once its lease has expired', async () => {
    const { outbox, ago, sweep } = setup();
    const row = outbox.seed({ claimToken: 'dead-relay', claimExpiresAt: ago(1) });
    await expect(sweep()).resolves.toEqual({ ...NOTHING, released: 1 });
    expect(outbox.row(row.id)).toMatchObject({ status: 'PENDING', claimToken: null, claimExpiresAt: null });
  });
});

describe('purge consumed', () => {
  const seedConsumed = (outbox: ReturnType<typeof setup>['outbox'], count: number, consumedAt: Date) =>
    Array.from({ length: count }, () => outbox.seed({ status: 'CONSUMED', consumedAt }));

  it('deletes consumed rows past retention in batches until a short batch', async () => {
    const { clock, outbox, ago } = setup();
    seedConsumed(outbox, 5, ago(2 * MINUTE));
    const recent = seedConsumed(outbox, 1, ago(1));
    const purge = createPurgeConsumed({
      store: outbox.store,
      clock,
      retentionMs: MINUTE,
      batchSize: 2,
      maxBatches: 10,
    });
    await expect(purge()).resolves.toEqual({ deleted: 5 });
    expect(outbox.rows().map((r) => r.id)).toEqual(recent.map((r) => r.id));
  });

  it('stops after maxBatches even when more rows are due', async () => {
    const { clock, outbox, ago } = setup();
    seedConsumed(outbox, 7, ago(2 * MINUTE));
    const purge = createPurgeConsumed({ store: outbox.store, clock, retentionMs: MINUTE, batchSize: 2, maxBatches: 3 });
    await expect(purge()).resolves.toEqual({ deleted: 6 });
    expect(outbox.rows()).toHaveLength(1);
  });

  it('never deletes rows in other states', async () => {
    const { clock, outbox, ago } = setup();
    outbox.seed({ status: 'DEAD', consumedAt: ago(2 * MINUTE) });
    outbox.seed({ status: 'PUBLISHED', publishedAt: ago(2 * MINUTE) });
    await expect(
      createPurgeConsumed({ store: outbox.store, clock, retentionMs: MINUTE, batchSize: 10, maxBatches: 1 })(),
    ).resolves.toEqual({ deleted: 0 });
    expect(outbox.rows()).toHaveLength(2);
  });
});
