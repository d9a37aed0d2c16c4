/**
 * The drain scenario's (a) alone, to compare versions or settings in less time: N outbox rows
 * written through the writer (as the scenario seeds them), then drained by the app's relay and
 * consumer in this process, timed and metered exactly as `npm run bench -- --scenario drain` does,
 * without the 60 s baseline (b) and the raw limit (c). One JSON line per run: msg/s, the CPU ms
 * per message of MariaDB, of the relay + consumer (this process) and of the whole machine, and
 * InnoDB's row-lock waits during the drain.
 *
 *   npx tsx bench/experiments/drain-only.ts [--runs 2] [--rows 50000] [--set RELAY_CONCURRENCY=1 …]
 *
 * Compare two checkouts by running it in each, alternating (the machine's other load drifts),
 * and the prototype (`../shared/tools/proto-drain/`) in the same hour. Uses the bench's services
 * (DATABASE_URL etc., else the stack's .stack/app.env).
 */
import { parseArgs } from 'node:util';
import { provision, useSettings } from '../lib/env';
import { createProgress } from '../lib/progress';
import { createScope } from '../lib/scope';
import { settingsFrom } from '../lib/settings';
import { drainWithProduct } from '../scenarios/drain/product';
import { seedOutbox } from '../scenarios/drain/seed';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    rows: { type: 'string' },
    conversations: { type: 'string' },
    set: { type: 'string', multiple: true },
  },
});
useSettings(settingsFrom(values.set));
const rows = Number(values.rows ?? 50_000);

const drainOnce = async () => {
  const scope = createScope();
  const progress = createProgress(() => undefined);
  try {
    const env = await provision(scope, 'drainonly');
    const config = env.config({ ROLES: 'relay,consumer' });
    await seedOutbox({ scope, config, rows, conversations: Number(values.conversations ?? 1_000), progress });
    const drained = await drainWithProduct({ scope, config, sql: env.sql, rows, timeoutMs: 600_000, progress });
    const perMessageMs = (cores: number | undefined) =>
      Number((((cores ?? 0) * drained.totalMs) / drained.consumed).toFixed(3));
    console.log(
      JSON.stringify({
        at: new Date().toISOString().slice(11, 16),
        consumed: drained.consumed,
        msgPerSec: Math.round(drained.msgPerSec),
        mariadbMsPerMsg: perMessageMs(drained.cores.mariadb),
        relayConsumerMsPerMsg: perMessageMs(drained.cores.relayConsumer),
        machineMsPerMsg: perMessageMs(drained.cores.machine),
        rowLockWaits: drained.rowLockWaits,
      }),
    );
  } finally {
    await scope.close();
  }
};

const main = async () => {
  for (let run = 0; run < Number(values.runs ?? 1); run += 1) await drainOnce();
};

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
