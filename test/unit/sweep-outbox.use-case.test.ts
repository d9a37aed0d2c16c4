import { createPurgeConsumed, createSweepOutbox } from '../../src/application/sweep-outbox.use-case';
import { createFakeClock } from '../support/fakes/fake-clock';
import { createInMemoryOutbox } from '../support/fakes/in-memory-outbox';

const MINUTE = 60_000;

const setup = () => {
  const clock = createFakeClock();
  const outbox = createInMemoryOutbox({ clock });
  const ago = (ms: number) => new Date(clock.now().getTime() - ms);
  return { clock, outbox, ago };
};

describe('sweep outbox', () => {
  it('sends a PUBLISHED row back to PENDING, due now, once it has waited longer than sweepAfterMs', async () => {
    const { clock, outbox, ago } = setup();
    const row = outbox.seed({ status: 'PUBLISHED', publishedAt: ago(10 * MINUTE), nextAttemptAt: ago(11 * MINUTE) });
    const sweep = createSweepOutbox({ store: outbox.store, clock, sweepAfterMs: 5 * MINUTE, limit: 100 });
    await expect(sweep()).resolves.toEqual({ requeued: 1, released: 0 });
    expect(outbox.row(row.id)).toMatchObject({ status: 'PENDING', nextAttemptAt: clock.now(), publishedAt: null });
  });

  it('leaves a recently published row alone', async () => {
    const { clock, outbox, ago } = setup();
    const row = outbox.seed({ status: 'PUBLISHED', publishedAt: ago(MINUTE) });
    await createSweepOutbox({ store: outbox.store, clock, sweepAfterMs: 5 * MINUTE, limit: 100 })();
    expect(outbox.row(row.id).status).toBe('PUBLISHED');
  });

  it('clears the claim a dead relay left behind once its lease has expired', async () => {
    const { clock, outbox, ago } = setup();
    const row = outbox.seed({ claimToken: 'dead-relay', claimExpiresAt: ago(1) });
    await expect(createSweepOutbox({ store: outbox.store, clock, sweepAfterMs: MINUTE, limit: 100 })()).resolves.toEqual({ requeued: 0, released: 1 });
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
    const purge = createPurgeConsumed({ store: outbox.store, clock, retentionMs: MINUTE, batchSize: 2, maxBatches: 10 });
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
    await expect(createPurgeConsumed({ store: outbox.store, clock, retentionMs: MINUTE, batchSize: 10, maxBatches: 1 })()).resolves.toEqual({ deleted: 0 });
    expect(outbox.rows()).toHaveLength(2);
  });
});
