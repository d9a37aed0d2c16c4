import path from 'node:path';
import { provision } from '../../lib/env';
import { machineInfo } from '../../lib/machine';
import { metric, type Scenario } from '../../lib/types';
import { costRow } from '../../lib/cost-meter';
import { costTable } from '../../report/cost-table';
import { profileSection, statementSection } from '../../report/sections';
import { drainWithBaseline } from './baseline';
import { describeClaim, explainClaim } from './claim-explain';
import { drainWithProduct } from './product';
import { rawLimit } from './raw-limit';
import { copyOutbox, seedOutbox } from './seed';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * drain: N outbox rows written first (no relay running), then drained to CONSUMED by
 * (a) agent-relay, (b) the seed-style baseline on a copy, (c) the raw limit of the same work.
 */
export const drainScenario: Scenario = async ({ quick, profile, outDir, progress, scope }) => {
  const rows = quick ? 3_000 : 50_000;
  const conversations = quick ? 100 : 1_000;
  const capMs = quick ? 5_000 : 60_000;
  const [a, b] = await Promise.all([provision(scope, 'drain'), provision(scope, 'drainb')]);
  const productConfig = a.config({ ROLES: 'relay,consumer' });

  progress.log(`seeding ${fmt(rows)} rows over ${fmt(conversations)} conversations through the writer use case`);
  const seed = await seedOutbox({ scope, config: productConfig, rows, conversations, progress });
  progress.log(
    `seeded in ${(seed.durationMs / 1000).toFixed(1)} s (${fmt(seed.rows / (seed.durationMs / 1000))} rows/s); copying to ${b.names.dbName}`,
  );
  await copyOutbox(a.sql, a.names.dbName, b.names.dbName);
  const claim = await explainClaim(a.sql, productConfig.relay.batchSize);

  progress.log('(a) agent-relay: buildApp(ROLES=relay,consumer)');
  const product = await drainWithProduct({
    scope,
    config: productConfig,
    sql: a.sql,
    rows,
    timeoutMs: quick ? 60_000 : 600_000,
    progress,
    ...(profile ? { profileFile: path.join(outDir, 'drain-a.cpuprofile') } : {}),
  });
  progress.log(
    `(a) ${fmt(product.consumed)} consumed in ${(product.totalMs / 1000).toFixed(2)} s → ${fmt(product.msgPerSec)} msg/s`,
  );

  progress.log(
    `(b) baseline: poll 100 rows/s, one send and one UPDATE per row, one transaction per record; cap ${capMs / 1000} s`,
  );
  const baseline = await drainWithBaseline({ scope, config: b.config(), sql: b.sql, rows, capMs, progress });
  progress.log(
    `(b) ${fmt(baseline.consumed)} consumed in ${(baseline.elapsedMs / 1000).toFixed(1)} s → ${baseline.msgPerSec.toFixed(1)} msg/s (extrapolated)`,
  );

  const raw = await rawLimit({ scope, config: productConfig, sql: a.sql, progress });
  progress.log(
    `(c) insert ${fmt(raw.insertMs)} ms + produce ${fmt(raw.produceMs)} ms + consume ${fmt(raw.consumeMs)} ms → ${fmt(raw.msgPerSec)} msg/s`,
  );

  const aOverB = product.msgPerSec / baseline.msgPerSec;
  const aOverC = product.msgPerSec / raw.msgPerSec;
  const scale = `N=${fmt(rows)}, ${fmt(conversations)} conversations`;
  const costs = [
    costRow({
      scenario: 'drain',
      kind: 'drain',
      label: `drain (a), ${fmt(product.msgPerSec)} msg/s`,
      offeredPerSec: null,
      messages: product.consumed,
      consumed: product.consumed,
      window: product.cost,
    }),
  ];
  return {
    metrics: [
      metric('drain', `(a) agent-relay drain, ${scale}`, product.done ? product.msgPerSec : null, 'msg/s', {
        target: { op: '>=', value: 10_000 },
        ...(product.done ? {} : { note: 'did not finish' }),
      }),
      metric('drain', '(b) seed-style baseline (extrapolated)', baseline.msgPerSec, 'msg/s', {
        note: `${fmt(baseline.consumed)} of ${fmt(rows)} in ${(baseline.elapsedMs / 1000).toFixed(0)} s cap`,
      }),
      metric('drain', '(c) raw limit (insert + produce + consume)', raw.msgPerSec, 'msg/s'),
      metric('drain', 'a / b', aOverB, '×', { target: { op: '>=', value: 20 } }),
      metric('drain', 'a / c', 100 * aOverC, '%', { target: { op: '>=', value: 50 } }),
    ],
    notes: [
      `Rows were written first through createAppendChatMessages (${seed.calls} calls of up to 100 messages, 8 concurrent) with no relay running: ${fmt(seed.rows / (seed.durationMs / 1000))} rows/s.`,
      `(a) is timed from app.start() until the app's consumer counted every row stored (its in-process counter, read every 10 ms, as the prototype's consumer signals its end; the rows' CONSUMED count is checked after), so start-up (${fmt(product.startMs)} ms) and the consumer's group join are included. From the rows themselves: first publish ${fmt(product.firstPublishAfterStartMs)} ms after start, relay span ${fmt(product.relaySpanMs)} ms (${fmt(rows / (product.relaySpanMs / 1000))} msg/s published), first publish → last consume ${fmt(product.pipelineSpanMs)} ms. Cores busy during (a): machine ${product.cores.machine} of ${machineInfo().nproc} = relay + consumer (this process) ${product.cores.relayConsumer} + MariaDB ${product.cores.mariadb} + Kafka ${product.cores.kafka} + Redis ${product.cores.redis} + other ${product.cores.other}. InnoDB row-lock waits during (a): ${product.rowLockWaits.waits} (${fmt(product.rowLockWaits.ms)} ms waited), deadlocks ${product.rowLockWaits.deadlocks}.`,
      `(a) app warnings: ${product.warnings}.`,
      `(b) ran on a copy of the same rows in its own database for a ${capMs / 1000} s cap; its rate is extrapolated from the ${fmt(baseline.consumed)} rows it consumed in that time (it would need ~${fmt(rows / baseline.msgPerSec / 60)} min for all ${fmt(rows)}).`,
      `(c) sums three steps timed alone: insert ${fmt(raw.insertMs)} ms, produce ${fmt(raw.produceMs)} ms, consume ${fmt(raw.consumeMs)} ms (consume includes its group join). (a) overlaps the three stages, so it can in principle exceed c.`,
      describeClaim(claim),
    ],
    details: { rows, conversations, seed, product, baseline, raw, claim, costs },
    costs,
    sections: [
      costTable(
        `drain (a), relay + consumer in this process${profile ? '; profiled, so slower and costlier' : ''}`,
        costs,
      ),
      ...(product.profile ? [profileSection('drain (a), relay + consumer in this process', product.profile)] : []),
      ...(product.statements ? [statementSection('drain (a)', product.statements)] : []),
    ],
    bars: [
      { label: '(a) agent-relay', value: product.msgPerSec, unit: 'msg/s' },
      { label: '(b) baseline', value: baseline.msgPerSec, unit: 'msg/s' },
      { label: '(c) raw limit', value: raw.msgPerSec, unit: 'msg/s' },
    ],
  };
};
