import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, USAGE } from './lib/cli';
import { useSettings } from './lib/env';
import { machineInfo, startLoadMonitor } from './lib/machine';
import { checkServices } from './lib/preflight';
import { createProgress } from './lib/progress';
import { createScope, type Scope } from './lib/scope';
import type { Scenario, ScenarioName, ScenarioOutput } from './lib/types';
import { consoleSummary, writeResults, type RunRecord, type ScenarioRecord } from './report/write';
import { abuseScenario } from './scenarios/abuse';
import { chatScenario } from './scenarios/chat';
import { drainScenario } from './scenarios/drain';
import { fanoutScenario } from './scenarios/fanout';
import { latencyScenario } from './scenarios/latency';

const SCENARIO_RUNNERS: Record<ScenarioName, Scenario> = {
  drain: drainScenario,
  latency: latencyScenario,
  chat: chatScenario,
  fanout: fanoutScenario,
  abuse: abuseScenario,
};

let active: Scope | undefined;
/** Rejections nobody awaited (e.g. a client failing while a broker is down): recorded, never fatal, so cleanup still runs. */
let stray: string[] = [];
process.on('unhandledRejection', (error) => {
  const message = (error as Error)?.message ?? String(error);
  stray.push(message);
  process.stdout.write(`  ! unhandled rejection: ${message}\n`);
});

/** Ctrl-C still cleans up: the running scenario's databases, topics, prefixes and processes. */
const onSignal = (signal: NodeJS.Signals) => {
  process.stdout.write(`\n${signal}: cleaning up…\n`);
  void (active?.close() ?? Promise.resolve([])).finally(() => process.exit(130));
};

const runScenario = async (
  name: ScenarioName,
  options: { quick: boolean; profile: boolean; outDir: string },
): Promise<ScenarioRecord> => {
  process.stdout.write(`\n▶ ${name}${options.quick ? ' (quick)' : ''}\n`);
  const scope = createScope();
  active = scope;
  stray = [];
  const monitor = startLoadMonitor();
  const started = Date.now();
  let outcome: Pick<ScenarioRecord, 'status' | 'error'> & Partial<ScenarioOutput>;
  try {
    outcome = { status: 'ok', ...(await SCENARIO_RUNNERS[name]({ ...options, progress: createProgress(), scope })) };
  } catch (error) {
    process.stdout.write(`  ✗ ${name} failed: ${(error as Error).stack ?? String(error)}\n`);
    outcome = { status: 'failed', error: (error as Error).message };
  }
  const durationMs = Date.now() - started;
  const load = monitor.stop();
  const cleanupFailures = await scope.close();
  active = undefined;
  const cleanupMs = Date.now() - started - durationMs;
  process.stdout.write(
    `  ${name}: ${(durationMs / 1000).toFixed(1)} s, cleanup ${(cleanupMs / 1000).toFixed(1)} s${cleanupFailures.length ? ` (${cleanupFailures.length} problems)` : ''}\n`,
  );
  return {
    name,
    durationMs,
    cleanupMs,
    load,
    cleanupFailures: [...cleanupFailures, ...stray.map((m) => `unhandled rejection: ${m}`)],
    ...outcome,
  };
};

const main = async () => {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) return void process.stdout.write(`${USAGE}\n`);
  useSettings(args.settings);
  await checkServices();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const startedAt = new Date();
  const outDir = path.join(__dirname, 'results', startedAt.toISOString().replace(/[:.]/g, '-'));
  mkdirSync(outDir, { recursive: true });
  const machine = machineInfo();
  process.stdout.write(
    `agent-relay bench · ${machine.cpuModel} × ${machine.nproc} · Node ${machine.node} · results in ${path.relative(process.cwd(), outDir)}\n`,
  );
  const scenarios: ScenarioRecord[] = [];
  for (const name of args.scenarios)
    scenarios.push(await runScenario(name, { quick: args.quick, profile: args.profile, outDir }));
  const run: RunRecord = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    quick: args.quick,
    machine,
    scenarios,
  };
  writeResults(outDir, run);
  process.stdout.write(
    `\n${consoleSummary(run)}\n\nwritten: ${path.relative(process.cwd(), outDir)}/{results.json,report.md,chart.svg${run.scenarios.some((s) => s.costs?.length) ? ',cost.svg' : ''}}\n`,
  );
  return scenarios.some((s) => s.status === 'failed' || s.cleanupFailures.length > 0) ? 1 : 0;
};

main().then(
  (code) => process.exit(code ?? 0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  },
);
