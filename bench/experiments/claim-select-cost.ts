/**
 * What the claim's SELECT costs the server per row, and which part of it: the candidates query
 * (src/infra/db/repositories/sql-outbox-relay.store.ts) against the same query with its link
 * written as the plain MAX it stands for (before 2026-12-07's third round), without the
 * conversation-order filter in WHERE, without the link, and without both (a bare SKIP LOCKED
 * walk, as the prototype's). N rows are seeded through the real
 * writer; each variant then walks them in batches (SELECT … FOR UPDATE SKIP LOCKED in a
 * transaction, rolled back, then the batch marked PUBLISHED outside the measurement), and the
 * table is reset to PENDING between variants. Prints mariadbd CPU µs per row per variant.
 *
 *   npx tsx bench/experiments/claim-select-cost.ts [--rows 50000] [--batch 500] [--rounds 2]
 */
import { parseArgs } from 'node:util';
import { CANDIDATES_SQL, candidateParams, createDatabase, createLogger } from '../../src/tooling';
import { provision } from '../lib/env';
import { databaseServerCpu } from '../lib/server-cpu';
import { createProgress } from '../lib/progress';
import { createScope } from '../lib/scope';
import { seedOutbox } from '../scenarios/drain/seed';

const { values } = parseArgs({
  options: { rows: { type: 'string' }, batch: { type: 'string' }, rounds: { type: 'string' } },
});
const rows = Number(values.rows ?? 50_000);
const batch = Number(values.batch ?? 500);

const serverCpuMs = databaseServerCpu();

/** The select list's link (a CASE whose ELSE is the plain MAX), the MAX alone, and the WHERE filter. */
const LINK = /,\s*CASE[\s\S]*?END AS prev_pending_seq/;
const MAX_ONLY = /CASE[\s\S]*?ELSE (\(SELECT MAX[\s\S]*?\))\s*END/;
const ORDER_FILTER = /\s*AND \(SELECT f\.next_attempt_at[\s\S]*?LIMIT 1\)/;
const withLimit = (now: Date) => candidateParams(now, batch);
const withoutFilter = (now: Date) => [now, now, batch];
const variants: Record<string, { sql: string; params: (now: Date) => unknown[] }> = {
  current: { sql: CANDIDATES_SQL, params: withLimit },
  'link as the plain MAX (before)': { sql: CANDIDATES_SQL.replace(MAX_ONLY, '$1'), params: withLimit },
  'no order filter': { sql: CANDIDATES_SQL.replace(ORDER_FILTER, ''), params: withoutFilter },
  'no link': { sql: CANDIDATES_SQL.replace(LINK, ''), params: withLimit },
  bare: { sql: CANDIDATES_SQL.replace(LINK, '').replace(ORDER_FILTER, ''), params: withoutFilter },
};
for (const [name, variant] of Object.entries(variants))
  if (name !== 'current' && variant.sql === CANDIDATES_SQL) throw new Error(`variant "${name}" changed nothing`);

const main = async () => {
  const scope = createScope();
  try {
    const env = await provision(scope, 'claimcost');
    const config = env.config();
    await seedOutbox({ scope, config, rows, conversations: 1_000, progress: createProgress(() => undefined) });
    const database = createDatabase(config.db, createLogger({ ...config.log, level: 'warn' }));
    await database.start();
    scope.defer('stop database', () => database.stop());
    const sql = database.batches();
    for (let round = 1; round <= Number(values.rounds ?? 2); round += 1)
      for (const [name, variant] of Object.entries(variants)) {
        await sql.run([{ sql: `UPDATE outbox_messages SET status = 'PENDING'`, params: [] }]);
        let cpu = 0;
        let walked = 0;
        for (;;) {
          const cpu0 = serverCpuMs();
          // BEGIN with the SELECT in one packet, then COMMIT (nothing was changed: as a rollback).
          const [found] = (await sql.transaction((tx) =>
            tx.send([{ sql: variant.sql, params: variant.params(new Date()) }]),
          )) as [{ id: string }[]];
          cpu += serverCpuMs() - cpu0;
          if (found.length === 0) break;
          walked += found.length;
          await sql.run([
            {
              sql: `UPDATE outbox_messages SET status = 'PUBLISHED' WHERE id IN (${found.map(() => '?').join(', ')})`,
              params: found.map((r) => r.id),
            },
          ]);
        }
        console.log(
          JSON.stringify({
            round,
            variant: name,
            rows: walked,
            serverCpuUsPerRow: Number(((1000 * cpu) / walked).toFixed(1)),
          }),
        );
      }
  } finally {
    await scope.close();
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
