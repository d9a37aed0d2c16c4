import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadReport, machineInfo } from '../lib/machine';
import type { Metric, ScenarioName, ScenarioOutput } from '../lib/types';
import { renderChart } from './chart';
import { renderCostChart } from './cost-chart';
import { markdownTable, tableRows, textTable } from './table';

export interface ScenarioRecord extends Partial<ScenarioOutput> {
  name: ScenarioName;
  status: 'ok' | 'failed';
  error?: string;
  durationMs: number;
  cleanupMs: number;
  load: LoadReport;
  cleanupFailures: string[];
}

export interface RunRecord {
  startedAt: string;
  finishedAt: string;
  command: string;
  quick: boolean;
  machine: ReturnType<typeof machineInfo>;
  scenarios: ScenarioRecord[];
}

const loadLine = (s: ScenarioRecord) => {
  const { cores, loadAvgBefore, loadAvgMax, topOther } = s.load;
  const others = topOther.length
    ? `; busiest other processes: ${topOther.map((o) => `${o.name} (pid ${o.pid}) ${o.cores}`).join(', ')}`
    : '';
  return `load during ${s.name}: machine ${cores.machine} cores busy = bench ${cores.bench} + MariaDB/Kafka/Redis ${cores.infra} + other ${cores.other}; loadavg(1m) ${loadAvgBefore} at start, max ${loadAvgMax}${others}${s.load.concurrentLoad ? ' → UNDER CONCURRENT LOAD' : ''}`;
};

const allMetrics = (run: RunRecord): Metric[] => run.scenarios.flatMap((s) => s.metrics ?? []);
const allCosts = (run: RunRecord) => run.scenarios.flatMap((s) => s.costs ?? []);
const flagFor = (run: RunRecord) => (name: string) =>
  run.scenarios.find((s) => s.name === name)?.load.concurrentLoad ? ' *' : '';

export const consoleSummary = (run: RunRecord) =>
  [
    textTable(tableRows(allMetrics(run), flagFor(run))),
    '',
    ...run.scenarios.map(loadLine),
    ...run.scenarios.filter((s) => s.status === 'failed').map((s) => `FAILED ${s.name}: ${s.error}`),
    run.scenarios.some((s) => s.load.concurrentLoad)
      ? '* measured while processes other than the bench and the shared services used ≥ 0.25 cores'
      : '',
  ].join('\n');

const markdown = (run: RunRecord) => {
  const m = run.machine;
  const lines = [
    '# agent-relay benchmark',
    '',
    `- date: ${run.startedAt} → ${run.finishedAt}`,
    `- command: \`${run.command}\`${run.quick ? ' (quick: reduced sizes, targets are for the full sizes)' : ''}`,
    `- machine: ${m.cpuModel}, nproc ${m.nproc}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}`,
    '',
    markdownTable(tableRows(allMetrics(run), flagFor(run))),
    '',
    ...(allCosts(run).length
      ? [
          'CPU per message against the rate, by role: [cost.svg](cost.svg) (the cost tables are under each scenario).',
          '',
        ]
      : []),
    run.scenarios.some((s) => s.load.concurrentLoad)
      ? '\\* measured while processes other than the bench and the shared services used ≥ 0.25 cores (see load below).\n'
      : '',
  ];
  for (const s of run.scenarios) {
    lines.push(
      `## ${s.name}${s.status === 'failed' ? ' — FAILED' : ''}`,
      '',
      `- ${loadLine(s)}`,
      `- took ${(s.durationMs / 1000).toFixed(1)} s (+ ${(s.cleanupMs / 1000).toFixed(1)} s cleanup)`,
    );
    if (s.error) lines.push(`- error: \`${s.error}\``);
    for (const failure of s.cleanupFailures) lines.push(`- cleanup problem: ${failure}`);
    for (const note of s.notes ?? []) lines.push(`- ${note}`);
    lines.push('', ...(s.sections ?? []));
  }
  return lines.join('\n');
};

export const writeResults = (outDir: string, run: RunRecord) => {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'results.json'), `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'report.md'), `${markdown(run)}\n`);
  const chart = renderChart({
    title: 'agent-relay benchmark',
    subtitle: `${run.startedAt} · ${run.machine.cpuModel} × ${run.machine.nproc} · ${run.command}${run.scenarios.some((s) => s.load.concurrentLoad) ? ' · measured under concurrent load' : ''}`,
    bars: run.scenarios.flatMap((s) => s.bars ?? []),
    latencies: run.scenarios.flatMap((s) => s.latencies ?? []),
  });
  writeFileSync(path.join(outDir, 'chart.svg'), chart);
  const costs = allCosts(run);
  if (costs.length)
    writeFileSync(
      path.join(outDir, 'cost.svg'),
      renderCostChart({
        subtitle: `${run.startedAt} · ${run.machine.cpuModel} × ${run.machine.nproc} · ${run.command}`,
        rows: costs,
      }),
    );
};
