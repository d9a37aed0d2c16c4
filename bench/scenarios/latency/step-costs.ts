import { costRow, idleCost, startCostMeter, type CostRow } from '../../lib/cost-meter';
import type { SqlRunner } from '../../lib/sql';
import { sleep } from '../../lib/stats';
import type { CostTargets, OfferedLoad } from './load';

/** Below this share of the offered rate a step counts as not keeping up. */
const KEEP_UP = 0.95;

/**
 * Did a step keep up, and if not, what looked bound: the writer's event loop (one thread), the
 * app child (one event loop, so about one core), or the whole machine (nproc cores).
 */
export const judgeSaturation = (run: OfferedLoad, nproc: number) => {
  const { load, backlog, cost } = run;
  const seconds = cost.seconds;
  // Over the whole window, which lasts until the last call returned (achievedPerSec only counts the offering part).
  const committedPerSec = load.completed / seconds;
  const committedShort = committedPerSec < KEEP_UP * run.rate || load.shed > 0;
  // Backlog growing by more than 5 % of what was offered in the window: the pipeline fell behind.
  const grew = backlog.after - backlog.before;
  const pipelineShort = grew > (1 - KEEP_UP) * run.rate * seconds;
  const appCores = (cost.cpuMs.relayConsumer ?? 0) / 1000 / seconds;
  const machineCores = (cost.cpuMs.machine ?? 0) / 1000 / seconds;
  const bounds = [
    { what: `writer event loop ${Math.round(run.eventLoop * 100)} % busy`, ratio: run.eventLoop },
    { what: `app child (relay + consumer) ${appCores.toFixed(2)} of 1 core`, ratio: appCores },
    { what: `machine ${machineCores.toFixed(2)} of ${nproc} cores`, ratio: machineCores / nproc },
  ].sort((a, b) => b.ratio - a.ratio);
  const facts = `committed ${Math.round(committedPerSec)}/s of ${run.rate} offered${load.shed ? ` (${load.shed} shed)` : ''}, consumed ${Math.round(run.consumed / seconds)}/s, backlog ${backlog.before} → ${backlog.after} rows`;
  if (!committedShort && !pipelineShort)
    return { saturated: false, text: `keeps up: ${facts}; busiest: ${bounds[0]?.what}` };
  const where = [committedShort ? 'the writer' : '', pipelineShort ? 'the relay → consumer pipeline' : '']
    .filter(Boolean)
    .join(' and ');
  return {
    saturated: true,
    text: `SATURATED (${where} fell behind): ${facts}; nearest bound: ${bounds.map((b) => b.what).join(', ')}`,
  };
};

/** The per-message cost row of one offered-load step (a reference run, e.g. the writer with no relay, gets no saturation verdict). */
export const stepCost = (run: OfferedLoad, label: string, nproc: number, kind: CostRow['kind'] = 'step'): CostRow =>
  costRow({
    scenario: 'latency',
    label,
    kind,
    offeredPerSec: run.rate,
    messages: run.load.completed,
    consumed: run.consumed,
    window: run.cost,
    ...(kind === 'step' ? { saturation: judgeSaturation(run, nproc).text } : {}),
  });

/** Nothing offered: what the running roles cost per second while idle. */
export const idleStep = async (input: { sql: SqlRunner; cost: CostTargets; windowMs: number }) => {
  const meter = await startCostMeter({ sql: input.sql, ...input.cost });
  await sleep(input.windowMs);
  return idleCost('latency', await meter.stop());
};
