import { SCENARIOS, type ScenarioName } from './types';
import { parseSetting } from './settings';

export interface BenchArgs {
  scenarios: ScenarioName[];
  quick: boolean;
  profile: boolean;
  help: boolean;
  /** Product settings applied to every app the bench starts (--set KEY=VALUE). */
  settings: Record<string, string>;
}

export const USAGE = `npm run bench -- [--scenario drain|latency|chat|fanout|abuse[,…]] [--quick] [--profile] [--set KEY=VALUE …]

  --scenario  run only these scenarios (repeatable or comma-separated; default: all five)
  --quick     small sizes for a CI smoke run
  --profile   CPU profiles: drain (a), the latency writer and app child, the chat service
              child; also logs every statement to sum database time per kind. The .cpuprofile
              files, a flame graph picture of each (.flame.svg) and a summary of the hottest
              code land in the results directory
  --set       a product setting for every app the bench starts, e.g. --set DATABASE_POOL_MAX=30
              (repeatable; scenario-specific settings such as ROLES still win)
Results: bench/results/<timestamp>/{results.json,report.md,chart.svg,cost.svg}`;

export const parseArgs = (argv: readonly string[]): BenchArgs => {
  const args: BenchArgs = { scenarios: [], quick: false, profile: false, help: false, settings: {} };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    // `--set=KEY=VALUE`: split at the first '=' only (the value may hold more).
    const at = arg.indexOf('=');
    const [flag, inline] = at < 0 ? [arg, undefined] : [arg.slice(0, at), arg.slice(at + 1)];
    if (flag === '--quick') args.quick = true;
    else if (flag === '--profile') args.profile = true;
    else if (flag === '--help' || flag === '-h') args.help = true;
    else if (flag === '--set') {
      const [key, value] = parseSetting(inline ?? argv[(i += 1)] ?? '');
      args.settings[key] = value;
    } else if (flag === '--scenario') {
      const value = inline ?? argv[(i += 1)];
      for (const name of (value ?? '').split(',').filter(Boolean)) {
        if (!(SCENARIOS as readonly string[]).includes(name))
          throw new Error(`unknown scenario "${name}" (one of ${SCENARIOS.join(', ')})`);
        if (!args.scenarios.includes(name as ScenarioName)) args.scenarios.push(name as ScenarioName);
      }
      if (!value) throw new Error('--scenario needs a name');
    } else throw new Error(`unknown argument "${arg}"\n\n${USAGE}`);
  }
  if (args.scenarios.length === 0) args.scenarios = [...SCENARIOS];
  return args;
};
