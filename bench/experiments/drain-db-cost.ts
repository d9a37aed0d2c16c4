/**
 * The database's part of a drain, step by step, without Kafka: N outbox rows are written through
 * the real writer (as the drain scenario seeds them), then this process runs the relay's and the
 * consumer's real stores on them in turn, batch after batch: claim, mark PUBLISHED (with a log
 * position per row), persist to history (the consumer's use case on the records the publisher
 * would have sent). Per step: mariadbd CPU and wall time per row. The steps do not overlap, so
 * each one's figures are its own; the sum is what one row costs the server in a drain.
 *
 *   npx tsx bench/experiments/drain-db-cost.ts [--rows 50000] [--conversations 1000] [--batch 500]
 *     [--prepare SQL]…   (statements run on the seeded database first: a schema variant to compare)
 *
 * Compare two versions by running it in each checkout, alternating (the machine's other load
 * drifts). Uses the bench's services (DATABASE_URL etc., else the stack's .stack/app.env).
 */
import { parseArgs } from 'node:util';
import { createPersistHistoryBatch } from '../../src/application/persist-history-batch.use-case';
import { encodeEnvelope } from '../../src/domain/chat-message-envelope';
import { createDatabase, createLogger, createSqlHistoryStore, createSqlOutboxRelayStore } from '../../src/tooling';
import { provision } from '../lib/env';
import { databaseServerCpu } from '../lib/server-cpu';
import { createProgress } from '../lib/progress';
import { createScope } from '../lib/scope';
import { seedOutbox } from '../scenarios/drain/seed';

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    conversations: { type: 'string' },
    batch: { type: 'string' },
    prepare: { type: 'string', multiple: true },
  },
});
const rows = Number(values.rows ?? 50_000);
const batchSize = Number(values.batch ?? 500);

const serverCpuMs = databaseServerCpu();

const main = async () => {
  const scope = createScope();
  try {
    const env = await provision(scope, 'dbcost');
    const config = env.config();
    await seedOutbox({
      scope,
      config,
      rows,
      conversations: Number(values.conversations ?? 1_000),
      progress: createProgress(() => undefined),
    });
    const logger = createLogger({ ...config.log, level: 'warn' });
    const database = createDatabase(config.db, logger);
    await database.start();
    scope.defer('stop database', () => database.stop());
    // A schema variant to compare (an ALTER, say), run on the seeded database before the walk.
    for (const sql of values.prepare ?? []) {
      const [result] = await database.batches().run([{ sql, params: [] }]);
      if (Array.isArray(result)) console.log(JSON.stringify(result));
    }
    const store = createSqlOutboxRelayStore(database);
    const persist = createPersistHistoryBatch({
      store: createSqlHistoryStore(database),
      clock: { now: () => new Date() },
      logger,
    });
    const steps = { claim: { cpu: 0, wall: 0 }, markPublished: { cpu: 0, wall: 0 }, persist: { cpu: 0, wall: 0 } };
    const timed = async <T>(step: keyof typeof steps, work: () => Promise<T>) => {
      const cpu0 = serverCpuMs();
      const t0 = performance.now();
      const result = await work();
      steps[step].wall += performance.now() - t0;
      steps[step].cpu += serverCpuMs() - cpu0;
      return result;
    };
    let drained = 0;
    let offset = 0;
    for (;;) {
      const claim = await timed('claim', () =>
        store.claim({ owner: 'db-cost', batchSize, leaseMs: 60_000, now: new Date() }),
      );
      if (claim.messages.length === 0) break;
      const positions = new Map(claim.messages.map((m, i) => [m.id, { partition: 0, offset: offset + i }]));
      await timed('markPublished', () =>
        store.markPublished({ token: claim.token, ids: claim.messages.map((m) => m.id), now: new Date(), positions }),
      );
      const records = claim.messages.map((m, i) => {
        const encoded = encodeEnvelope(m);
        return { value: encoded.value, headers: encoded.headers, partition: 0, offset: String(offset + i) };
      });
      offset += records.length;
      await timed('persist', () => persist(records));
      drained += claim.messages.length;
    }
    const perRow = (ms: number) => Number(((1000 * ms) / drained).toFixed(1));
    const total = Object.values(steps).reduce((sum, s) => sum + s.cpu, 0);
    console.log(
      JSON.stringify({
        rows: drained,
        batchSize,
        serverCpuUsPerRow: Object.fromEntries(Object.entries(steps).map(([k, s]) => [k, perRow(s.cpu)])),
        wallUsPerRow: Object.fromEntries(Object.entries(steps).map(([k, s]) => [k, perRow(s.wall)])),
        serverCpuUsPerRowTotal: perRow(total),
      }),
    );
  } finally {
    await scope.close();
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
