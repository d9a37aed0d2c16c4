import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const depcruise = path.join(root, 'node_modules/.bin/depcruise');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the config is CommonJS, as dependency-cruiser reads it
const config = require(path.join(root, '.dependency-cruiser.cjs')) as {
  forbidden: { name: string }[];
  options: Record<string, unknown>;
};

/** Every module a planted import points at exports a value and a type, so both kinds of import resolve. */
const TARGET = 'export const planted = 1;\nexport type Planted = number;\n';

/**
 * One planted import per rule, each from a file of its own: the rule named must be reported for
 * that file. `how` is the import statement's shape (a value import unless said otherwise).
 */
const VIOLATIONS: { rule: string; from: string; to: string; how?: 'type' }[] = [
  { rule: 'domain-is-pure', from: 'src/domain/planted.ts', to: 'src/infra/db/target.ts' },
  { rule: 'application-depends-on-domain-only', from: 'src/application/planted.ts', to: 'src/infra/db/target.ts' },
  { rule: 'resolvers-stay-thin', from: 'src/resolvers/planted.ts', to: 'src/infra/db/target.ts' },
  { rule: 'infra-holds-adapters-only', from: 'src/infra/db/planted-server.ts', to: 'src/server/target.ts' },
  { rule: 'infra-holds-adapters-only', from: 'src/infra/kafka/planted-resolvers.ts', to: 'src/resolvers/target.ts' },
  { rule: 'infra-holds-adapters-only', from: 'src/infra/redis/planted-jobs.ts', to: 'src/jobs/target.ts' },
  { rule: 'infra-holds-adapters-only', from: 'src/infra/llm/planted-wiring.ts', to: 'src/wiring/target.ts' },
  { rule: 'server-reaches-infra-through-wiring', from: 'src/server/planted-adapter.ts', to: 'src/infra/db/target.ts' },
  // A type from an adapter is still an adapter: only the three modules the rule names are exempt.
  {
    rule: 'server-reaches-infra-through-wiring',
    from: 'src/server/planted-adapter-type.ts',
    to: 'src/infra/auth/target.ts',
    how: 'type',
  },
  { rule: 'server-sees-only-infra-types', from: 'src/server/planted-logger-value.ts', to: 'src/infra/logger.ts' },
  {
    rule: 'server-sees-only-infra-types',
    from: 'src/server/planted-tracer-value.ts',
    to: 'src/infra/tracing/otel-tracer.ts',
  },
  { rule: 'only-the-root-uses-the-edge', from: 'src/jobs/planted-edge.ts', to: 'src/server/target.ts' },
  { rule: 'only-the-root-uses-the-edge', from: 'src/cli/planted-edge.ts', to: 'src/server/target.ts' },
  { rule: 'only-the-root-wires', from: 'src/jobs/planted-root.ts', to: 'src/app.ts' },
  { rule: 'no-circular', from: 'src/jobs/planted-cycle-a.ts', to: 'src/jobs/planted-cycle-b.ts' },
  { rule: 'not-to-unresolvable', from: 'src/jobs/planted-unresolvable.ts', to: 'src/jobs/nowhere.ts' },
  { rule: 'tools-use-public-entries', from: 'bench/planted-infra.ts', to: 'src/infra/db/target.ts' },
  { rule: 'tools-use-public-entries', from: 'scripts/planted-infra.ts', to: 'src/infra/kafka/target.ts', how: 'type' },
  { rule: 'tools-use-public-entries', from: 'tools/kit/planted-infra.ts', to: 'src/infra/redis/target.ts' },
  {
    rule: 'no-circular',
    from: 'scripts/chaos/planted-cycle-a.ts',
    to: 'scripts/chaos/planted-cycle-b.ts',
    how: 'type',
  },
];

/** Imports the rules allow; none may be reported, so a rule that grows too wide fails here. */
const ALLOWED: { from: string; to: string; how?: 'type' }[] = [
  { from: 'src/server/allowed-lifecycle.ts', to: 'src/infra/lifecycle.ts' },
  { from: 'src/server/allowed-logger-type.ts', to: 'src/infra/logger.ts', how: 'type' },
  { from: 'src/server/allowed-tracer-type.ts', to: 'src/infra/tracing/otel-tracer.ts', how: 'type' },
  { from: 'src/server/allowed-resolvers.ts', to: 'src/resolvers/target.ts' },
  { from: 'src/wiring/allowed-infra.ts', to: 'src/infra/db/target.ts' },
  { from: 'src/wiring/allowed-server.ts', to: 'src/server/target.ts' },
  { from: 'src/infra/db/allowed-domain.ts', to: 'src/domain/target.ts' },
  { from: 'bench/allowed-tooling.ts', to: 'src/tooling.ts' },
  { from: 'scripts/allowed-root.ts', to: 'src/app.ts' },
  { from: 'test/allowed-adapter.ts', to: 'src/infra/db/target.ts' },
  { from: 'test/allowed-edge.ts', to: 'src/server/target.ts' },
];

const importOf = (from: string, to: string, how?: 'type') => {
  const specifier = path.relative(path.dirname(from), to).replace(/\.ts$/, '');
  const relative = specifier.startsWith('.') ? specifier : `./${specifier}`;
  return how === 'type'
    ? `import type { Planted } from '${relative}';\nexport type Uses = Planted;\n`
    : `import { planted } from '${relative}';\nexport const uses = planted;\n`;
};

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/**
 * Plants the imports in a scratch tree shaped like src/ (never in src/ itself, which other checks
 * cruise and compile at the same time) and runs dependency-cruiser there with the project's rules.
 */
const cruisePlanted = async (): Promise<Violation[]> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dependency-rules-'));
  try {
    const files = new Map<string, string>();
    for (const { to } of [...VIOLATIONS, ...ALLOWED]) {
      if (!files.has(to) && !to.endsWith('nowhere.ts')) files.set(to, TARGET);
    }
    for (const { from, to, how } of [...VIOLATIONS, ...ALLOWED]) files.set(from, importOf(from, to, how));
    // The cycles' ways back (a cycle of type-only imports is still a cycle).
    files.set(
      'src/jobs/planted-cycle-b.ts',
      `${importOf('src/jobs/planted-cycle-b.ts', 'src/jobs/planted-cycle-a.ts')}export const planted = 1;\n`,
    );
    files.set(
      'scripts/chaos/planted-cycle-b.ts',
      `${importOf('scripts/chaos/planted-cycle-b.ts', 'scripts/chaos/planted-cycle-a.ts', 'type')}${TARGET}`,
    );
    for (const [file, text] of files) {
      await mkdir(path.join(dir, path.dirname(file)), { recursive: true });
      await writeFile(path.join(dir, file), text);
    }
    // The project's rules as they are; only its tsconfig (which names the real tree) is left out.
    const { tsConfig: _tsConfig, ...options } = config.options;
    await writeFile(
      path.join(dir, 'rules.cjs'),
      `module.exports = ${JSON.stringify({ forbidden: config.forbidden, options })};\n`,
    );
    // Exits non-zero when it finds errors, which is the point; the JSON report is on stdout either way.
    const stdout = await execFileAsync(
      depcruise,
      ['src', 'bench', 'scripts', 'tools', 'test', '--config', 'rules.cjs', '--output-type', 'json'],
      { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
    ).then(
      (result) => result.stdout,
      (error: { stdout?: string; stderr?: string }) => {
        if (!error.stdout) throw new Error(`depcruise failed: ${error.stderr ?? ''}`);
        return error.stdout;
      },
    );
    return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

/** Each dependency rule fails the build on a planted violation, and lets the imports it should allow through. */
describe('dependency rules', () => {
  let violations: Violation[];
  beforeAll(async () => {
    violations = await cruisePlanted();
  }, 120_000);

  const reportedFor = (from: string) =>
    violations.filter((violation) => violation.from === from).map((violation) => violation.rule.name);

  it('has a planted violation for every rule in .dependency-cruiser.cjs', () => {
    expect(new Set(VIOLATIONS.map((violation) => violation.rule))).toEqual(
      new Set(config.forbidden.map((rule) => rule.name)),
    );
  });

  it.each(VIOLATIONS)('$rule reports $from importing $to', ({ rule, from }) => {
    expect(reportedFor(from)).toContain(rule);
  });

  it.each(ALLOWED)('allows $from to import $to', ({ from }) => {
    expect(reportedFor(from)).toEqual([]);
  });
});
