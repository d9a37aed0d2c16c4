import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countReports, type JestReport } from '../../scripts/ci-report';

const ROOT = path.resolve(__dirname, '..', '..');

const suite = (status: 'passed' | 'failed', tests: ('passed' | 'failed')[], message = '') => ({
  name: `/repo/test/some-${status}.test.ts`,
  status,
  message,
  assertionResults: tests.map((t) => ({ status: t })),
});

const report = (suites: ReturnType<typeof suite>[]): JestReport => {
  const all = suites.flatMap((s) => s.assertionResults);
  return {
    numPassedTests: all.filter((a) => a.status === 'passed').length,
    numFailedTests: all.filter((a) => a.status === 'failed').length,
    numTotalTests: all.length,
    testResults: suites,
  };
};

const green = report([suite('passed', ['passed', 'passed'])]);
/** What `jest --passWithNoTests` writes when it finds nothing: exit 0, success true, no tests. */
const empty = report([]);

describe('.ci/run: counting the Jest reports', () => {
  it('counts passed and failed tests over all runs', () => {
    expect(
      countReports([
        { name: 'main', report: green },
        { name: 'mysql', report: report([suite('failed', ['passed', 'failed'])]) },
      ]),
    ).toMatchObject({ passed: 3, failed: 1, broken: 0 });
  });

  it('a run that found no tests is broken, not green (--passWithNoTests)', () => {
    const count = countReports([
      { name: 'main', report: green },
      { name: 'mysql', report: empty },
      { name: 'faults', report: empty },
    ]);
    expect(count).toMatchObject({ passed: 2, failed: 0, broken: 2 });
    expect(count.problems).toEqual([
      expect.stringMatching(/^the mysql run found no tests/),
      expect.stringMatching(/^the faults run found no tests/),
    ]);
  });

  it('a suite that failed outside its tests is broken', () => {
    const count = countReports([
      { name: 'main', report: report([suite('passed', ['passed']), suite('failed', [], 'Cannot find module')]) },
    ]);
    expect(count).toMatchObject({ passed: 1, failed: 0, broken: 1 });
    expect(count.problems[0]).toMatch(/suite failed outside its tests: .*\nCannot find module/);
  });

  it('the line .ci/run runs prints what its `read` expects, and counts an empty mysql report', () => {
    const ciRun = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
    const line = ciRun.split('\n').find((l) => l.startsWith('read -r passed failed suites_failed < <('));
    expect(line).toBeDefined();
    // The same command in a directory holding the reports (.ci/out) and the script, not this checkout's .ci/out.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-report-'));
    try {
      fs.mkdirSync(path.join(dir, '.ci', 'out'), { recursive: true });
      fs.symlinkSync(path.join(ROOT, 'scripts'), path.join(dir, 'scripts'));
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
      fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
      const write = (name: string, r: JestReport) =>
        fs.writeFileSync(path.join(dir, '.ci', 'out', `${name}.json`), JSON.stringify(r));
      write('main', green);
      write('mysql', empty);
      write('faults', green);
      const out = execFileSync('bash', ['-c', `${line}\necho "$passed/$failed/$suites_failed"`], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(out.trim()).toBe('4/0/1');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
